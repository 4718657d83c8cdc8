#include "png_shim.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} reader_state;

typedef struct {
    char *message;
    size_t capacity;
} error_sink;

static void on_error(png_structp png, png_const_charp message) {
    error_sink *sink = (error_sink *)png_get_error_ptr(png);
    if (sink && sink->message && sink->capacity) snprintf(sink->message, sink->capacity, "%s", message);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static void read_bytes(png_structp png, png_bytep out, png_size_t count) {
    reader_state *state = (reader_state *)png_get_io_ptr(png);
    if (state->size - state->offset < count) png_error(png, "truncated PNG data");
    memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

static uint32_t big_endian32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

/* Walks the chunks before libpng sees them. libpng allocates a chunk's declared length before
   reading its data (1.6.39 does so for zTXt even beyond png_set_chunk_malloc_max), so a 100-byte
   file declaring a 2 GB chunk would allocate 2 GB; here every chunk must fit in the data. Also sums
   the IDAT bytes, which bound the image a file can really hold (see sd_png_decode). */
static int scan_chunks(const uint8_t *data, size_t size, size_t *idat_bytes, char *error, size_t error_size) {
    size_t offset = 8;
    *idat_bytes = 0;
    while (offset < size) {
        if (size - offset < 12) {
            snprintf(error, error_size, "truncated PNG data (incomplete chunk header at byte %zu)", offset);
            return 1;
        }
        uint32_t length = big_endian32(data + offset);
        const uint8_t *type = data + offset + 4;
        if (length > 0x7FFFFFFFu || length > size - offset - 12) {
            snprintf(error, error_size, "truncated PNG data (chunk at byte %zu declares %u bytes, %zu remain)",
                     offset, length, size - offset - 12);
            return 1;
        }
        if (memcmp(type, "IDAT", 4) == 0) *idat_bytes += length;
        offset += 12 + (size_t)length;
        if (memcmp(type, "IEND", 4) == 0) break;
    }
    return 0;
}

int sd_png_decode(const uint8_t *data, size_t size, uint32_t max_side, sd_png_image *out,
                  char *error, size_t error_size) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        snprintf(error, error_size, "not a PNG file (bad signature)");
        return 1;
    }
    size_t idat_bytes = 0;
    if (scan_chunks(data, size, &idat_bytes, error, error_size) != 0) return 1;
    error_sink sink = {error, error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
    if (!png) { snprintf(error, error_size, "libpng could not allocate a reader"); return 1; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); snprintf(error, error_size, "out of memory"); return 1; }
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    char *volatile parameters = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(pixels); free(rows); free(parameters);
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    reader_state state = {data, size, 0};
    png_set_read_fn(png, &state, read_bytes);
    png_set_user_limits(png, max_side, max_side);
    png_set_chunk_malloc_max(png, 64u << 20);
    png_read_info(png, info);
    png_uint_32 width, height;
    int depth, color, interlace;
    png_get_IHDR(png, info, &width, &height, &depth, &color, &interlace, NULL, NULL);
    /* Deflate expands at most about 1032:1, so the filtered rows (a filter byte and the packed
       samples per row) cannot come from fewer IDAT bytes than this: refuse before allocating up to
       16384² × 3 bytes for a file that cannot fill them. */
    size_t row_bytes = ((size_t)width * png_get_channels(png, info) * (size_t)depth + 7) / 8;
    if (((size_t)row_bytes + 1) * height / 1032 > idat_bytes + 64) {
        png_error(png, "truncated PNG data (too little image data for its size)");
    }
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) png_error(png, "unsupported pixel format after conversion");
    pixels = malloc((size_t)width * height * 3);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory for image");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * 3;
    png_read_image(png, rows);
    png_read_end(png, info);
    png_textp text = NULL;
    int count = 0;
    png_get_text(png, info, &text, &count);
    for (int i = 0; i < count; i++) {
        if (strcmp(text[i].key, "parameters") == 0 && text[i].text) {
            size_t length = text[i].itxt_length ? text[i].itxt_length : text[i].text_length;
            parameters = malloc(length + 1);
            if (parameters) { memcpy(parameters, text[i].text, length); parameters[length] = 0; }
            break;
        }
    }
    free(rows);
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->parameters = parameters;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

void sd_png_free_image(sd_png_image *image) {
    free(image->pixels);
    free(image->parameters);
    memset(image, 0, sizeof(*image));
}

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} writer_state;

static void write_bytes(png_structp png, png_bytep bytes, png_size_t count) {
    writer_state *state = (writer_state *)png_get_io_ptr(png);
    if (state->size + count > state->capacity) {
        size_t capacity = state->capacity ? state->capacity : 65536;
        while (capacity < state->size + count) capacity *= 2;
        uint8_t *grown = realloc(state->data, capacity);
        if (!grown) png_error(png, "out of memory while encoding");
        state->data = grown;
        state->capacity = capacity;
    }
    memcpy(state->data + state->size, bytes, count);
    state->size += count;
}

static void flush_bytes(png_structp png) { (void)png; }

static int is_latin1(const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) if (*p >= 0x80) return 0;
    return 1;
}

int sd_png_encode(const uint8_t *rgb, uint32_t width, uint32_t height,
                  const char *const *keys, const char *const *values, int text_count,
                  uint8_t **out, size_t *out_size, char *error, size_t error_size) {
    *out = NULL;
    *out_size = 0;
    error_sink sink = {error, error_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_error, on_warning);
    if (!png) { snprintf(error, error_size, "libpng could not allocate a writer"); return 1; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); snprintf(error, error_size, "out of memory"); return 1; }
    writer_state state = {NULL, 0, 0};
    png_bytep *volatile rows = NULL;
    png_textp volatile text = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(state.data); free(rows); free(text);
        png_destroy_write_struct(&png, &info);
        return 1;
    }
    png_set_write_fn(png, &state, write_bytes, flush_bytes);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        text = calloc((size_t)text_count, sizeof(png_text));
        if (!text) png_error(png, "out of memory");
        for (int i = 0; i < text_count; i++) {
            text[i].key = (png_charp)keys[i];
            text[i].text = (png_charp)values[i];
            text[i].compression = is_latin1(values[i]) ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
        }
        png_set_text(png, info, text, text_count);
    }
    png_write_info(png, info);
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(rgb + (size_t)y * width * 3);
    png_write_image(png, rows);
    png_write_end(png, info);
    free(rows);
    free(text);
    png_destroy_write_struct(&png, &info);
    *out = state.data;
    *out_size = state.size;
    return 0;
}

void sd_png_free_buffer(uint8_t *buffer) { free(buffer); }
