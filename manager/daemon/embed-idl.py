#!/usr/bin/env python3
"""Writes the varlink interface definition as a C string constant."""
import sys

text = open(sys.argv[1], encoding="utf-8").read()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("/* generated from %s by embed-idl.py */\n#pragma once\n" % sys.argv[1].split("/")[-1])
    out.write("static const char VGD_MANAGER_IDL[] =\n")
    for line in text.splitlines(True):
        esc = line.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.write('        "%s"\n' % esc)
    out.write("        ;\n")
