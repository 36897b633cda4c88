/* Adjust policies (policies/adjust.json) for the daemon integration tests:
 * short rounds, and penalties chosen so each case's outcome does not
 * depend on how the guest's events fall into rounds. */
#pragma once

/* Trust never moves: the cases that are not about the adjuster see the
 * tiers they reserved, whatever the guest does. */
#define ADJUST_CALM                                                                                \
        "{\"period_ms\": 1000,"                                                                    \
        " \"rise\": {\"step\": 0.0},"                                                              \
        " \"penalty\": {\"tags\": {\"network_access\": 0, \"external_api_call\": 0,"               \
        "   \"file_write\": 0, \"sensitive_data_access\": 0, \"process_spawn\": 0,"                \
        "   \"privilege_change\": 0, \"resource_burst\": 0, \"policy_violation\": 0},"             \
        "   \"denial\": 0, \"anomaly\": {\"weight\": 0}, \"risk\": {\"weight\": 0},"               \
        "   \"agent_silent\": 0},"                                                                 \
        " \"high_severity\": {\"tags\": [], \"penalty\": 0}}"

/* Demotion without recovery: a reservation at 0.7 starts at 0.55 in
 * medium; a sensitive read and a call out cost 0.12 each (one of each per
 * round at most), so it lands in high (0.31 after both, 0.43 after either)
 * and, with no rise, stays there. */
#define ADJUST_STRICT                                                                              \
        "{\"period_ms\": 1000,"                                                                    \
        " \"start\": {\"discount\": 0.15, \"within_tier\": false},"                                \
        " \"rise\": {\"probation_rounds\": 100000, \"step\": 0.0},"                                \
        " \"fall\": {\"max_step\": 0.3},"                                                          \
        " \"penalty\": {\"tags\": {\"network_access\": 0, \"external_api_call\": 0.12,"            \
        "   \"file_write\": 0, \"sensitive_data_access\": 0.12, \"process_spawn\": 0,"             \
        "   \"privilege_change\": 0, \"resource_burst\": 0, \"policy_violation\": 0},"             \
        "   \"count_cap\": 1, \"denial\": 0, \"anomaly\": {\"weight\": 0},"                        \
        "   \"risk\": {\"weight\": 0}, \"agent_silent\": 0},"                                      \
        " \"high_severity\": {\"tags\": [], \"penalty\": 0, \"max_step\": 0.3}}"

/* Earning trust: no penalties, probation 2 rounds, then 0.05 a round. A
 * reservation at 0.6 starts at 0.45 in high, is promoted to medium at
 * 0.55 and stops at its ceiling 0.6. */
#define ADJUST_PROMOTE                                                                             \
        "{\"period_ms\": 1000,"                                                                    \
        " \"start\": {\"discount\": 0.15, \"within_tier\": false},"                                \
        " \"rise\": {\"probation_rounds\": 2, \"step\": 0.05},"                                    \
        " \"fall\": {\"max_step\": 0.3},"                                                          \
        " \"penalty\": {\"tags\": {\"network_access\": 0, \"external_api_call\": 0,"               \
        "   \"file_write\": 0, \"sensitive_data_access\": 0, \"process_spawn\": 0,"                \
        "   \"privilege_change\": 0, \"resource_burst\": 0, \"policy_violation\": 0},"             \
        "   \"denial\": 0, \"anomaly\": {\"weight\": 0}, \"risk\": {\"weight\": 0},"               \
        "   \"agent_silent\": 0},"                                                                 \
        " \"high_severity\": {\"tags\": [], \"penalty\": 0, \"max_step\": 0.3}}"
