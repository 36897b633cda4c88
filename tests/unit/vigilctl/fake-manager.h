/* A TEST DOUBLE of vigild's io.vigil.Manager for the client's tests: canned
 * answers, no VMs, no libvirt beyond the event loop. Not vigild. */
#pragma once

#include "varlink-server.h"

/* The interface to register with vgl_varlink_server_add_interface. */
extern const struct vgl_varlink_interface fake_manager_interface;

/* The parameters of the last call the double received, as compact JSON
 * (a copy the caller frees), or NULL if none. */
char *fake_manager_last_params(void);

/* Forgets the stored files and the last parameters. */
void fake_manager_reset(void);

/* The canned records. */
extern const char *const fake_sandbox_a; /* id "a1b2c3", reserved, agent, labels */
extern const char *const fake_sandbox_b; /* id "ffff", booting, no agent, no expiry */
