/* IP -> autonomous system from ip-location-db's ASN ranges (npm package
 * @ip-location-db/asn: RouteViews + the five RIRs + DB-IP's IP-to-ASN Lite,
 * CC BY 4.0), the default source of source.as.number and
 * source.as.organization.name when no MaxMind ASN database is given.
 *
 * The package ships CSV files of inclusive ranges (`start,end,asn,org`). We
 * read asn-ipv4-num.csv (integers) and asn-ipv6.csv (addresses) into two
 * sorted range tables and answer a lookup by binary search. Reading the CSV
 * takes a few hundred ms, so the build compiles the tables once into a file
 * (th_asn_write, `make asn-table`) that opens with one mmap.
 * Where two ranges overlap (the data has a few), the later one wins and the
 * earlier is cut short, so the tables never overlap. Organisation names are
 * stored once each.
 *
 * Ownership: a th_asn owns its tables. Thread safety: read-only after
 * th_asn_open, so one table may be shared by threads. */
#ifndef TH_ECS_ASN_H
#define TH_ECS_ASN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "base/str.h"

typedef struct th_asn th_asn;

/* The files inside the package directory. */
#define TH_ASN_V4_FILE "asn-ipv4-num.csv"
#define TH_ASN_V6_FILE "asn-ipv6.csv"

/* True when `path` is a directory holding the package's two CSV files, or a
 * table compiled by th_asn_write. */
bool th_asn_probe(const char *path);
/* Loads either form; NULL (with an error in diags naming the file and line)
 * when a file is missing or malformed. The CSV costs a few hundred ms to read;
 * the compiled table opens with one mmap. */
th_asn *th_asn_open(const char *path, th_diags *diags);
/* Writes the compiled table (atomically: PATH.tmp, then rename). */
bool th_asn_write(const th_asn *t, const char *path, th_diags *diags);
void th_asn_close(th_asn *t);
/* "PATH (ip-location-db CSV|compiled, N IPv4 + M IPv6 ranges)", for summaries. */
const char *th_asn_desc(const th_asn *t);
size_t th_asn_count(const th_asn *t, bool v6);

/* Looks up an IPv4 or IPv6 address in text form. On a hit sets *asn and
 * *org (org.n == 0 when the row names no organisation; the bytes live as long
 * as the table) and returns true. */
bool th_asn_lookup(const th_asn *t, const char *ip, uint32_t *asn, th_str *org);

#endif
