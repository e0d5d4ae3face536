/* One reading of the enrichment options for every verb (cli/enrich.h). */
#include "cli/enrich.h"

void th_cli_enrich_opts(const th_args *a, th_mapper_opts *mo, th_mapper_paths *p)
{
    th_mapper_opts_deployed(mo, p);
    if (th_args_flag(a, "no-actor-target-mapping"))
        mo->actor_target_mapping = false;
    const char *v;
    if ((v = th_args_value(a, "geoip-city")))
        mo->geoip_city_db = v;
    if ((v = th_args_value(a, "geoip-asn")))
        mo->geoip_asn_db = v;
    if (th_args_flag(a, "no-asn"))
        mo->geoip_asn_db = NULL;
    if (th_args_flag(a, "no-geoip"))
        mo->geoip_city_db = mo->geoip_asn_db = NULL;
    if ((v = th_args_value(a, "ua-regexes")))
        mo->ua_regexes = v;
    if (th_args_flag(a, "no-user-agent"))
        mo->ua_regexes = NULL;
}
