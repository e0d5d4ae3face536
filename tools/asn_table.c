/* Compiles ip-location-db's ASN CSV ranges (npm @ip-location-db/asn) into the
 * table trailhound maps at start (src/ecs/asn.h): `make` runs
 *   asn_table node_modules/@ip-location-db/asn build/data/asn-ranges.bin
 * whenever the CSV files are newer than the table. */
#include <stdio.h>

#include "ecs/asn.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: asn_table CSV-DIR OUT\n");
        return 2;
    }
    th_diags d;
    th_diags_init(&d);
    th_asn *t = th_asn_open(argv[1], &d);
    bool ok = t && th_asn_write(t, argv[2], &d);
    th_diags_print(&d, stderr);
    if (ok)
        printf("asn_table: %s -> %s (%zu IPv4, %zu IPv6 ranges)\n", argv[1], argv[2],
               th_asn_count(t, false), th_asn_count(t, true));
    th_asn_close(t);
    th_diags_free(&d);
    return ok ? 0 : 1;
}
