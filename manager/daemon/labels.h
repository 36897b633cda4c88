/* Sandbox labels: a small object of string values chosen by the caller. */
#pragma once

#include <json-c/json.h>

#include "error.h"

#define VGD_LABELS_MAX      32
#define VGD_LABEL_KEY_MAX   63
#define VGD_LABEL_VALUE_MAX 256

/* Checks labels: an object of at most VGD_LABELS_MAX entries, keys
 * 1..63 bytes of [A-Za-z0-9_.:/-], values UTF-8 strings of at most 256 bytes.
 * -EINVAL with *err naming the problem. */
int vgd_labels_validate(struct json_object *labels, struct vgl_error *err);
