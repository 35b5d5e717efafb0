/* Forwards the core's log (sap_log.h) to ap_log_error. */
#ifndef MOD_SAP_LOG_H
#define MOD_SAP_LOG_H

#include <httpd.h>

void mod_sap_log_install(server_rec *s);

#endif
