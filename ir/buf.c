/* buf.c: growable text buffers and reading whole files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cosma/ir.h>

void cosma_buf_init(cosma_buf_t *buf)
{
    memset(buf, 0, sizeof *buf);
}

void cosma_buf_free(cosma_buf_t *buf)
{
    free(buf->data);
    cosma_buf_init(buf);
}

static int buf_reserve(cosma_buf_t *buf, size_t extra)
{
    if (buf->failed)
        return -1;
    if (extra > SIZE_MAX - buf->length - 1 ||
        cosma_array_reserve((void **)&buf->data, &buf->capacity, buf->length + extra + 1, 1) != 0) {
        buf->failed = 1;
        return -1;
    }
    return 0;
}

void cosma_buf_append(cosma_buf_t *buf, const char *text, size_t length)
{
    if (buf_reserve(buf, length) != 0)
        return;
    memcpy(buf->data + buf->length, text, length);
    buf->length += length;
    buf->data[buf->length] = '\0';
}

void cosma_buf_puts(cosma_buf_t *buf, const char *text)
{
    cosma_buf_append(buf, text, strlen(text));
}

void cosma_buf_printf(cosma_buf_t *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int needed = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (needed < 0 || buf_reserve(buf, (size_t)needed) != 0) {
        buf->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->length, (size_t)needed + 1, fmt, ap);
    va_end(ap);
    buf->length += (size_t)needed;
}

void cosma_buf_json_string(cosma_buf_t *buf, const char *text)
{
    cosma_buf_append(buf, "\"", 1);
    const unsigned char *end = (const unsigned char *)text + strlen(text);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        switch (*p) {
        case '"': cosma_buf_append(buf, "\\\"", 2); break;
        case '\\': cosma_buf_append(buf, "\\\\", 2); break;
        case '\n': cosma_buf_append(buf, "\\n", 2); break;
        case '\t': cosma_buf_append(buf, "\\t", 2); break;
        case '\r': cosma_buf_append(buf, "\\r", 2); break;
        default:
            if (*p < 0x20) {
                cosma_buf_printf(buf, "\\u%04x", *p);
            } else if (*p < 0x80) {
                cosma_buf_append(buf, (const char *)p, 1);
            } else {
                uint32_t cp;
                size_t n = cosma_utf8_decode((const char *)p, (size_t)(end - p), &cp);
                if (n == 0) {
                    cosma_buf_puts(buf, "\\ufffd");
                } else {
                    cosma_buf_append(buf, (const char *)p, n);
                    p += n - 1;
                }
            }
        }
    }
    cosma_buf_append(buf, "\"", 1);
}

cosma_status_t cosma_file_read(const char *path, char **out_data, size_t *out_length, cosma_diag_t *diag)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot open '%s': %s", path, strerror(errno));
        return COSMA_ERR_IO;
    }
    cosma_buf_t buf;
    cosma_buf_init(&buf);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        cosma_buf_append(&buf, chunk, got);
    int read_error = ferror(file);
    fclose(file);
    if (read_error) {
        cosma_diag_report(diag, COSMA_SEV_ERROR, "cannot read '%s'", path);
        cosma_buf_free(&buf);
        return COSMA_ERR_IO;
    }
    if (buf.failed) {
        cosma_buf_free(&buf);
        return COSMA_ERR_NOMEM;
    }
    if (buf.data == NULL) {
        buf.data = calloc(1, 1);
        if (buf.data == NULL)
            return COSMA_ERR_NOMEM;
    }
    *out_data = buf.data;
    *out_length = buf.length;
    return COSMA_OK;
}

void cosma_buf_xml_text(cosma_buf_t *buf, const char *text, size_t max_chars)
{
    size_t count = 0, left = strlen(text);
    for (const char *p = text; left > 0 && count < max_chars; count++) {
        uint32_t codepoint;
        size_t n = cosma_utf8_decode(p, left, &codepoint);
        if (n == 0 || codepoint < 0x20) {
            cosma_buf_puts(buf, "?");
            n = n == 0 ? 1 : n;
        } else if (*p == '&') {
            cosma_buf_puts(buf, "&amp;");
        } else if (*p == '<') {
            cosma_buf_puts(buf, "&lt;");
        } else if (*p == '>') {
            cosma_buf_puts(buf, "&gt;");
        } else if (*p == '"') {
            cosma_buf_puts(buf, "&quot;");
        } else if (*p == '\'') {
            cosma_buf_puts(buf, "&apos;");
        } else {
            cosma_buf_append(buf, p, n);
        }
        p += n;
        left -= n;
    }
}
