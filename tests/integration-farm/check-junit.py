#!/usr/bin/env python3
"""Checks vigil-farm's JUnit XML against its JSON summary with a real XML
parser: counts on <testsuites> and <testsuite>, one <testcase> per job in
order, classname SUITE.IMAGE, times, the verdict element and its message
and type, and <system-out>/<system-err> equal to the final attempt's logs.

Usage: check-junit.py JUNIT.xml SUMMARY.json OUTPUT_DIR
Exit status 0 when everything matches, 1 with the first mismatch."""
import json
import os
import sys
import xml.etree.ElementTree as ET


def fail(msg):
    print("check-junit: " + msg)
    sys.exit(1)


def expected_element(job):
    s = job["status"]
    if s == "passed":
        return None
    if s == "failed":
        return "failure"
    if s == "skipped" or (s == "interrupted" and not job["attempts"]):
        return "skipped"
    return "error"


def log_text(out_dir, rel):
    with open(os.path.join(out_dir, rel), "rb") as f:
        data = f.read()
    if len(data) > (1 << 20):
        return None  # only the tail goes into the XML
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        return None  # replaced by U+FFFD in the XML
    return text


def check_counts(el, summary, what):
    jobs = summary["jobs"]
    want = {
        "tests": len(jobs),
        "failures": sum(expected_element(j) == "failure" for j in jobs),
        "errors": sum(expected_element(j) == "error" for j in jobs),
        "skipped": sum(expected_element(j) == "skipped" for j in jobs),
    }
    for k, v in want.items():
        if int(el.get(k, "-1")) != v:
            fail("%s %s=%s, the summary says %d" % (what, k, el.get(k), v))
    if float(el.get("time")) < 0:
        fail("%s time=%s" % (what, el.get("time")))


def check_case(tc, job, summary, out_dir):
    if tc.get("name") != job["name"]:
        fail("testcase %s where job %s was expected" % (tc.get("name"), job["name"]))
    if tc.get("classname") != summary["suite"] + "." + job["image"]:
        fail("%s: classname %s" % (job["name"], tc.get("classname")))
    if abs(float(tc.get("time")) - job["duration_s"]) > 0.01:
        fail("%s: time %s, the summary says %s" % (job["name"], tc.get("time"), job["duration_s"]))
    el = expected_element(job)
    found = [c.tag for c in tc if c.tag in ("failure", "error", "skipped")]
    if found != ([el] if el else []):
        fail("%s (%s): elements %s, want %s" % (job["name"], job["status"], found, el))
    if el:
        v = tc.find(el)
        if v.get("message") != job["reason"]:
            fail("%s: message %r, the summary says %r" % (job["name"], v.get("message"), job["reason"]))
        if el != "skipped" and job["attempts"] and v.get("type") != job["attempts"][-1]["kind"]:
            fail("%s: type %s" % (job["name"], v.get("type")))
    if job["attempts"]:
        last = job["attempts"][-1]
        for tag, key in (("system-out", "stdout"), ("system-err", "stderr")):
            want = log_text(out_dir, last[key])
            got = tc.find(tag)
            got = got.text if got is not None and got.text else ""
            if want is not None and got != want:
                fail("%s: <%s> %r, the log has %r" % (job["name"], tag, got[:200], want[:200]))


def main():
    if len(sys.argv) != 4:
        fail("usage: check-junit.py JUNIT.xml SUMMARY.json OUTPUT_DIR")
    root = ET.parse(sys.argv[1]).getroot()
    with open(sys.argv[2]) as f:
        summary = json.load(f)
    if root.tag != "testsuites":
        fail("root element %s" % root.tag)
    suites = root.findall("testsuite")
    if len(suites) != 1:
        fail("%d testsuite elements" % len(suites))
    check_counts(root, summary, "testsuites")
    check_counts(suites[0], summary, "testsuite")
    if suites[0].get("name") != summary["suite"]:
        fail("testsuite name %s" % suites[0].get("name"))
    cases = suites[0].findall("testcase")
    if len(cases) != len(summary["jobs"]):
        fail("%d testcases for %d jobs" % (len(cases), len(summary["jobs"])))
    for tc, job in zip(cases, summary["jobs"]):
        check_case(tc, job, summary, sys.argv[3])
    print("check-junit: %d testcases match the summary" % len(cases))


main()
