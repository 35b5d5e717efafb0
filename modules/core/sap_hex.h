/* Hexadecimal decoding shared by signatures and key files. */
#ifndef SAP_HEX_H
#define SAP_HEX_H

#include <apr.h>
#include <apr_errno.h>

/* 0..15 for a hex digit of either case, -1 otherwise. */
int sap_hex_value(unsigned char c);

/* Decodes 2 * out_len hex digits into out; APR_EINVAL on any other byte. */
apr_status_t sap_hex_decode(const char *hex, unsigned char *out, apr_size_t out_len);

#endif
