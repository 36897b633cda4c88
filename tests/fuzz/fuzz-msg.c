/* libFuzzer harness: the JSON control-message parsers, fed payloads directly
 * (no framing) so mutations go into the JSON. Input layout: see
 * fuzz_msg_input() in fuzz-common.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct vgl_error err;
        (void)fuzz_msg_input(data, size, &err);
        return 0;
}
