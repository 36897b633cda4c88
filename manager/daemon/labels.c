/* See labels.h. */
#include "labels.h"

#include <errno.h>
#include <string.h>

#include "proto-msg.h"

static bool key_valid(const char *k)
{
        size_t n = strlen(k);

        if (n == 0 || n > VGD_LABEL_KEY_MAX)
                return false;
        for (; *k; k++)
                if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
                      (*k >= '0' && *k <= '9') || strchr("_.:/-", *k)))
                        return false;
        return true;
}

int vgd_labels_validate(struct json_object *labels, struct vgl_error *err)
{
        if (!labels || !json_object_is_type(labels, json_type_object))
                return vgl_error_set(err, EINVAL, "labels must be an object");
        if (json_object_object_length(labels) > VGD_LABELS_MAX)
                return vgl_error_set(err, EINVAL, "more than %d labels", VGD_LABELS_MAX);
        json_object_object_foreach(labels, key, val)
        {
                if (!key_valid(key))
                        return vgl_error_set(err, EINVAL, "bad label key");
                if (vgl_json_check_string(val, "label value", VGD_LABEL_VALUE_MAX, 0, err) < 0)
                        return -EINVAL;
        }
        return 0;
}
