"""The Python consumer that Sluice is compared with: the same work as the
default chain, written the way a careful Python developer would with orjson.

For every NDJSON line: parse, flatten the tweet with its retweeted and quoted
tweets into the flat shape of plugins/flatten-retweets (mode "embed",
non-tweets dropped), prune it like plugins/prune-fields with the demo's
settings (strings cut to 2000 characters; the depth and field-count limits
cannot bind on the flat shape, so the walk only cuts strings), and write an
Elasticsearch _bulk body: an action line with the daily index and the
tweet's id_str as _id, then the document.

Usage: python3 orjson_consumer.py INPUT.ndjson OUTPUT.bulk.ndjson
Prints one JSON line: records in, documents written, CPU seconds, tweets per
CPU-second.
"""

import sys
import time
from datetime import datetime, timedelta, timezone

import orjson

MAX_STRING_LENGTH = 2000

MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}

# The flat field names of plugins/flatten-retweets/src/fields.rs, per prefix.
TWEET_FIELDS = [
    "id_str", "created_at", "text", "lang", "user_id_str", "user_screen_name",
    "user_name", "user_followers_count", "user_verified", "retweet_count",
    "favorite_count", "hashtags", "mentions", "urls", "media_urls",
    "place_name", "place_country",
]
NAMES = {prefix: {f: prefix + f for f in TWEET_FIELDS} for prefix in ("", "retweeted_", "quoted_")}


def iso_utc(created_at):
    """`Wed Aug 27 13:08:45 +0000 2008` -> `2008-08-27T13:08:45Z`, else None."""
    try:
        _, month, day, clock, offset, year = created_at.split(" ")
        hour, minute, second = clock.split(":")
        when = datetime(int(year), MONTHS[month], int(day), int(hour), int(minute), int(second))
        sign = -1 if offset[0] == "-" else 1
        shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        if shift:
            when -= sign * shift
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    except (AttributeError, ValueError, KeyError, IndexError):
        return None


def obj(d, key):
    v = d.get(key)
    return v if type(v) is dict else None


def nested(d, key):
    v = obj(d, key) if d is not None else None
    return v if v is not None and type(v.get("id_str")) is str else None


def put_str(out, name, v):
    if type(v) is str:
        out[name] = v


def put_int(out, name, v):
    if type(v) is int:
        out[name] = v


def put_bool(out, name, v):
    if type(v) is bool:
        out[name] = v


def texts(entities, lst, key):
    items = entities.get(lst)
    if type(items) is not list:
        return []
    return [i[key] for i in items if type(i) is dict and type(i.get(key)) is str]


def put_list(out, name, values):
    if values:
        out[name] = values


def write_tweet(t, names, out):
    ext = obj(t, "extended_tweet")
    user = obj(t, "user")
    place = obj(t, "place")
    put_str(out, names["id_str"], t.get("id_str"))
    iso = iso_utc(t.get("created_at")) if type(t.get("created_at")) is str else None
    if iso is not None:
        out[names["created_at"]] = iso
    text = ext.get("full_text") if ext is not None else None
    if type(text) is not str:
        text = t.get("full_text")
    if type(text) is not str:
        text = t.get("text")
    put_str(out, names["text"], text)
    put_str(out, names["lang"], t.get("lang"))
    if user is not None:
        put_str(out, names["user_id_str"], user.get("id_str"))
        put_str(out, names["user_screen_name"], user.get("screen_name"))
        put_str(out, names["user_name"], user.get("name"))
        put_int(out, names["user_followers_count"], user.get("followers_count"))
        put_bool(out, names["user_verified"], user.get("verified"))
    put_int(out, names["retweet_count"], t.get("retweet_count"))
    put_int(out, names["favorite_count"], t.get("favorite_count"))
    entities = obj(ext, "entities") if ext is not None else None
    if entities is None:
        entities = obj(t, "entities")
    if entities is not None:
        put_list(out, names["hashtags"], texts(entities, "hashtags", "text"))
        put_list(out, names["mentions"], texts(entities, "user_mentions", "screen_name"))
        put_list(out, names["urls"], texts(entities, "urls", "expanded_url"))
    for candidate in (
        obj(ext, "extended_entities") if ext is not None else None,
        obj(t, "extended_entities"),
        obj(ext, "entities") if ext is not None else None,
        obj(t, "entities"),
    ):
        if candidate is not None:
            urls = texts(candidate, "media", "media_url_https")
            if urls:
                out[names["media_urls"]] = urls
                break
    if place is not None:
        put_str(out, names["place_name"], place.get("full_name"))
        put_str(out, names["place_country"], place.get("country"))


def app_name(source):
    name, in_tag = [], False
    for c in source:
        if c == "<":
            in_tag = True
        elif c == ">":
            in_tag = False
        elif not in_tag:
            name.append(c)
    return "".join(name).strip()


def flatten(doc):
    """The embedded flat document, or None for a record that is not a tweet."""
    if type(doc) is not dict or type(doc.get("id_str")) is not str:
        return None
    retweeted = nested(doc, "retweeted_status")
    quoted = nested(doc, "quoted_status") or nested(retweeted, "quoted_status")
    out = {}
    write_tweet(doc, NAMES[""], out)
    put_str(out, "in_reply_to_status_id_str", doc.get("in_reply_to_status_id_str"))
    put_str(out, "in_reply_to_screen_name", doc.get("in_reply_to_screen_name"))
    if type(doc.get("source")) is str:
        out["source"] = app_name(doc["source"])
    out["is_retweet"] = retweeted is not None
    out["is_quote"] = quoted is not None or doc.get("is_quote_status") is True
    if retweeted is not None:
        write_tweet(retweeted, NAMES["retweeted_"], out)
    if quoted is not None:
        write_tweet(quoted, NAMES["quoted_"], out)
    return out


def prune(value):
    if type(value) is str:
        return value[:MAX_STRING_LENGTH] if len(value) > MAX_STRING_LENGTH else value
    if type(value) is list:
        return [prune(v) for v in value]
    if type(value) is dict:
        return {k: prune(v) for k, v in value.items()}
    return value


def bulk_lines(line):
    try:
        doc = flatten(orjson.loads(line))
    except orjson.JSONDecodeError:
        return None
    if doc is None:
        return None
    doc = prune(doc)
    day = doc["created_at"][:10].replace("-", ".")
    action = orjson.dumps({"index": {"_index": "twitter-" + day, "_id": doc["id_str"]}})
    return action + b"\n" + orjson.dumps(doc) + b"\n"


def main(source, target):
    started = time.process_time()
    records = written = 0
    with open(source, "rb") as lines, open(target, "wb") as out:
        for line in lines:
            if not line.strip():
                continue
            records += 1
            body = bulk_lines(line)
            if body is not None:
                out.write(body)
                written += 1
    cpu = time.process_time() - started
    print(orjson.dumps({
        "records": records,
        "written": written,
        "cpu_seconds": cpu,
        "tweets_per_cpu_second": records / cpu,
    }).decode())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
