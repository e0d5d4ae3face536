#include "event/event.h"

static int64_t read_time(const th_jval *doc, const char *field)
{
    const th_jval *v = th_json_path_first(doc, th_str_c(field));
    if (!v)
        return TH_TIME_NONE;
    int64_t ms;
    if (v->type == TH_JSTR && th_time_parse_iso(v->u.str.p, v->u.str.n, &ms))
        return ms;
    if (v->type == TH_JNUM && th_jnum_i64(v, &ms))
        return ms; /* epoch milliseconds, as Elasticsearch accepts for date fields */
    return TH_TIME_NONE;
}

void th_event_read_times(th_event *ev)
{
    ev->timestamp_ms = read_time(ev->doc, "@timestamp");
    ev->ingested_ms = read_time(ev->doc, "event.ingested");
}
