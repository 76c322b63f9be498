/* utf8.c: the project's one UTF-8 decoder (strict: no overlong forms, no
 * surrogates, nothing above U+10FFFF), used by every reader and writer
 * that must keep text valid. */
#include <cosma/ir.h>

size_t cosma_utf8_decode(const char *text, size_t length, uint32_t *out_codepoint)
{
    const unsigned char *s = (const unsigned char *)text;
    if (length == 0)
        return 0;
    if (s[0] < 0x80) {
        *out_codepoint = s[0];
        return 1;
    }
    size_t n;
    uint32_t cp, min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, cp = s[0] & 0x1Fu, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, cp = s[0] & 0x0Fu, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0; /* a continuation byte or 0xF8..0xFF */
    }
    if (length < n)
        return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *out_codepoint = cp;
    return n;
}

size_t cosma_utf8_invalid_at(const char *text, size_t length)
{
    uint32_t cp;
    for (size_t at = 0; at < length;) {
        size_t n = cosma_utf8_decode(text + at, length - at, &cp);
        if (n == 0)
            return at;
        at += n;
    }
    return length;
}
