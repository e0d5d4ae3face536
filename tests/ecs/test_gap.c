/* What raw CloudTrail mapped with given options never has
 * (th_mapper_opts_gap) and which block writes a field (th_ecs_field_block). */
#include "th_test.h"

#include "ecs/demand.h"
#include "ecs/mapper.h"

static void test_field_block(void **state)
{
    (void)state;
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source.as.number")), TH_MB_ASN);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source.as")), TH_MB_ASN);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source.geo.country_name")), TH_MB_GEO);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("user_agent.name")), TH_MB_UA_PARSE);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("entity.target.id")), TH_MB_ENTITY);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("related.entity")), TH_MB_ENTITY);
    /* parents and neighbours are not the block's output */
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source.address")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("source.asx")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("user_agent.original")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("event.action")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("Source.as")), -1); /* first byte differs */
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("")), -1);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("tls.client.server_name")), TH_MB_TLS);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("aws.cloudtrail.resources.arn")), TH_MB_RESOURCES);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("event.category")), TH_MB_CATEGORY);
    assert_int_equal(th_ecs_field_block(TH_STR_LIT("user.email")), TH_MB_RELATED);
}

static void test_gap(void **state)
{
    (void)state;
    th_mapper_opts o;
    th_mapper_opts_default(&o); /* no data files, actor_target_mapping off */
    const char *g = NULL;
    const char *why = th_mapper_opts_gap(&o, TH_STR_LIT("source.as.organization.name"), &g);
    assert_non_null(why);
    assert_string_equal(g, "source.as.*");
    assert_non_null(strstr(why, "ASN enrichment is off"));
    assert_non_null(th_mapper_opts_gap(&o, TH_STR_LIT("source.geo.city_name"), &g));
    assert_string_equal(g, "source.geo.*");
    assert_non_null(th_mapper_opts_gap(&o, TH_STR_LIT("user_agent.os.name"), &g));
    assert_non_null(th_mapper_opts_gap(&o, TH_STR_LIT("entity.target.id"), &g));
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("event.action"), &g));
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("source.ip"), &g));

    o.actor_target_mapping = true;
    o.geoip_asn_db = "any.mmdb";
    o.ua_regexes = "regexes.yaml";
    o.geoip_city_db = "tests"; /* a directory: ip-location-db's flat pair */
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("entity.target.id"), &g));
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("source.as.number"), &g));
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("user_agent.name"), &g));
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("source.geo.city_name"), &g));
    why = th_mapper_opts_gap(&o, TH_STR_LIT("source.geo.country_name"), &g);
    assert_non_null(why);
    assert_non_null(strstr(why, "no country or continent names"));
    o.geoip_city_db = "GeoLite2-City.mmdb"; /* a file: MaxMind's schema has them */
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("source.geo.country_name"), &g));
    /* the tag given as a fixture config gives the same as the option */
    o.actor_target_mapping = false;
    const char *tags[] = {"actor_target_mapping"};
    o.tags = tags;
    o.ntags = 1;
    assert_null(th_mapper_opts_gap(&o, TH_STR_LIT("related.entity"), &g));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_block),
        cmocka_unit_test(test_gap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
