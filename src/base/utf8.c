#include "base/utf8.h"

th_utf8_status th_utf8_decode(const unsigned char *s, size_t avail, size_t *len, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *len = 1;
        *cp = c;
        return TH_UTF8_OK;
    }
    size_t l;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF) {
        l = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        l = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        l = 4;
        v = c & 0x07;
    } else {
        return TH_UTF8_BAD_LEAD;
    }
    if (avail < l)
        return TH_UTF8_TRUNCATED;
    for (size_t k = 1; k < l; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return TH_UTF8_BAD_CONT;
        v = (v << 6) | (s[k] & 0x3F);
    }
    *len = l;
    *cp = v;
    /* 2-byte sequences cannot be overlong: leads 0xC0/0xC1 are rejected above. */
    if ((l == 3 && v < 0x800) || (l == 4 && v < 0x10000))
        return TH_UTF8_OVERLONG;
    if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return TH_UTF8_BAD_CODEPOINT;
    return TH_UTF8_OK;
}

size_t th_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}
