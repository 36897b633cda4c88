/* The built-in org.varlink.service interface: GetInfo and
 * GetInterfaceDescription, answered from the server's interface table. */
#include <errno.h>
#include <string.h>

#include "varlink-server-priv.h"

static const char service_description[] =
        "# The Varlink Service Interface is provided by every varlink service. It\n"
        "# describes the service and the interfaces it implements.\n"
        "interface org.varlink.service\n"
        "\n"
        "# Get a list of all the interfaces a service provides and information\n"
        "# about the implementation.\n"
        "method GetInfo() -> (\n"
        "  vendor: string,\n"
        "  product: string,\n"
        "  version: string,\n"
        "  url: string,\n"
        "  interfaces: []string\n"
        ")\n"
        "\n"
        "# Get the description of an interface that is implemented by this service.\n"
        "method GetInterfaceDescription(interface: string) -> (description: string)\n"
        "\n"
        "# The requested interface was not found.\n"
        "error InterfaceNotFound (interface: string)\n"
        "\n"
        "# The requested method was not found\n"
        "error MethodNotFound (method: string)\n"
        "\n"
        "# The interface defines the requested method, but the service does not\n"
        "# implement it.\n"
        "error MethodNotImplemented (method: string)\n"
        "\n"
        "# One of the passed parameters is invalid.\n"
        "error InvalidParameter (parameter: string)\n"
        "\n"
        "# Client is denied access\n"
        "error PermissionDenied ()\n"
        "\n"
        "# Method is expected to be called with 'more' set to true, but wasn't\n"
        "error ExpectedMore ()\n";

const struct vgl_varlink_iface_entry *vgl_varlink_server_find(const struct vgl_varlink_server *s,
                                                              const char *name, size_t len)
{
        for (size_t i = 0; s && i < s->n_ifaces; i++) {
                const char *n = s->ifaces[i].iface->name;
                if (strlen(n) == len && memcmp(n, name, len) == 0)
                        return &s->ifaces[i];
        }
        return NULL;
}

static int add_string(struct json_object *o, const char *key, const char *value)
{
        struct json_object *v = json_object_new_string(value ? value : "");

        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int get_info(struct vgl_varlink_call *call, struct json_object *parameters, void *userdata)
{
        const struct vgl_varlink_server *s = userdata;
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();
        struct json_object *list = json_object_new_array();
        int r;

        if (!p || !list || json_object_object_add(p, "interfaces", list) < 0) {
                json_object_put(list);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_ifaces; i++) {
                struct json_object *n = json_object_new_string(s->ifaces[i].iface->name);
                if (!n || json_object_array_add(list, n) < 0) {
                        json_object_put(n);
                        return -ENOMEM;
                }
        }
        r = add_string(p, "vendor", s->vendor);
        if (r >= 0)
                r = add_string(p, "product", s->product);
        if (r >= 0)
                r = add_string(p, "version", s->version);
        if (r >= 0)
                r = add_string(p, "url", s->url);
        return r < 0 ? r : vgl_varlink_call_reply(call, p);
}

static int get_interface_description(struct vgl_varlink_call *call, struct json_object *parameters,
                                     void *userdata)
{
        const struct vgl_varlink_server *s = userdata;
        const struct vgl_varlink_iface_entry *e;
        _cleanup_varlink_json_ struct json_object *p = NULL;
        struct json_object *name = NULL;
        const char *n;

        if (!json_object_object_get_ex(parameters, "interface", &name) ||
            !json_object_is_type(name, json_type_string))
                return vgl_varlink_call_error_invalid_parameter(call, "interface");
        n = json_object_get_string(name);
        e = vgl_varlink_server_find(s, n, (size_t)json_object_get_string_len(name));
        p = json_object_new_object();
        if (!p)
                return -ENOMEM;
        if (!e) {
                if (add_string(p, "interface", n) < 0)
                        return -ENOMEM;
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_INTERFACE_NOT_FOUND, p);
        }
        if (add_string(p, "description", e->iface->description) < 0)
                return -ENOMEM;
        return vgl_varlink_call_reply(call, p);
}

static const struct vgl_varlink_method service_methods[] = {
        {"GetInfo", get_info},
        {"GetInterfaceDescription", get_interface_description},
        {NULL, NULL},
};

const struct vgl_varlink_interface vgl_varlink_service_interface = {
        .name = VGL_VARLINK_SERVICE,
        .description = service_description,
        .methods = service_methods,
};
