#include "sap_hex.h"

int sap_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

apr_status_t sap_hex_decode(const char *hex, unsigned char *out, apr_size_t out_len)
{
    apr_size_t i;

    for (i = 0; i < out_len; i++) {
        int hi = sap_hex_value((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : sap_hex_value((unsigned char)hex[2 * i + 1]);

        if (lo < 0) {
            return APR_EINVAL;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return APR_SUCCESS;
}
