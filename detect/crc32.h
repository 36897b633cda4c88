/* CRC-32 (IEEE 802.3, the zlib polynomial), for model file checksums. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Continues crc over p[0..n); start with 0. crc32("123456789") = 0xcbf43926. */
uint32_t vgl_crc32(uint32_t crc, const void *p, size_t n);
