// A setjmp-safe wrapper around libpng for Swift (libpng reports errors with longjmp, which Swift
// frames must never be unwound by). Not API.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Decoded RGB8 image; free with sd_png_free_image.
typedef struct {
    uint8_t *pixels;        // width * height * 3 bytes, row-major RGB
    uint32_t width;
    uint32_t height;
    char *parameters;       // the "parameters" tEXt/iTXt chunk, NUL-terminated, or NULL
} sd_png_image;

/// Decodes a PNG held in memory to RGB8 (palette, gray, 16-bit and alpha are converted; alpha is
/// dropped). Refuses images larger than max_side on either side. Returns 0 on success, otherwise
/// writes a message into error.
int sd_png_decode(const uint8_t *data, size_t size, uint32_t max_side, sd_png_image *out,
                  char *error, size_t error_size);

/// Frees what sd_png_decode allocated.
void sd_png_free_image(sd_png_image *image);

/// Encodes RGB8 pixels as PNG in memory with optional tEXt chunks (Latin-1 keys, UTF-8 values are
/// stored as iTXt). On success returns 0 and sets *out / *out_size (free with sd_png_free_buffer).
int sd_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height,
                  const char *const *keys, const char *const *values, int text_count,
                  uint8_t **out, size_t *out_size, char *error, size_t error_size);

/// Frees an encoded buffer.
void sd_png_free_buffer(uint8_t *buffer);
