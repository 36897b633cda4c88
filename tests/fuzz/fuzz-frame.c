/* libFuzzer harness: the streaming frame decoder and, for every frame it
 * delivers, the typed parser of that frame's type. Input layout: see
 * fuzz_frame_input() in fuzz-common.h. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_frame_input(data, size, NULL);
        return 0;
}
