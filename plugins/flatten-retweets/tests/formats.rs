//! flatten-retweets on real tweets in every format of data/formats/
//! (sources in data/README.md): v1.1 enterprise tweets, the same tweets as
//! Gnip activity streams, API v2 pages and stream lines, tweets flattened by
//! twarc, and 2007 tweets with only a numeric `id`. Expected values are read
//! off the source files by hand.

use std::collections::BTreeMap;
use std::path::PathBuf;

use flatten_retweets::FlattenRetweets;
use serde_json::{Value as Json, json};
use sluice_sdk::prelude::*;
use sluice_sdk::{Outcome, process_batch};

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/formats")
        .join(file)
}

fn lines(file: &str) -> Vec<Json> {
    std::fs::read_to_string(data(file))
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Each tweet of a v2 page as a stream line: the tweet with the page's
/// includes (the host's file source gives each only what it uses).
fn page_tweets(file: &str) -> Vec<Json> {
    lines(file)
        .into_iter()
        .flat_map(|page| {
            let includes = page["includes"].clone();
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|tweet| json!({"data": tweet, "includes": includes}))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every record flattened by the default settings; each must come out as
/// one document.
fn flatten_all(records: &[Json]) -> BTreeMap<String, Json> {
    let filter = FlattenRetweets::init(Config::from_json("{}")).unwrap();
    let bytes = records
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect();
    process_batch(&filter, bytes)
        .into_iter()
        .map(|outcome| match outcome {
            Outcome::Replace(bytes) => {
                let doc: Json = serde_json::from_slice(&bytes).unwrap();
                (doc["id_str"].as_str().unwrap().to_owned(), doc)
            }
            other => panic!("a tweet was not flattened: {other:?}"),
        })
        .collect()
}

#[test]
fn v1_enterprise_tweets_field_by_field() {
    let docs = flatten_all(&lines("tweet-parser-original-format.json"));
    assert_eq!(docs.len(), 25);

    // A retweet: the retweeted tweet's author and whole text.
    let retweet = &docs["867478524235366400"];
    assert_eq!(retweet["user_screen_name"], "RobotPrincessFi");
    assert_eq!(retweet["is_retweet"], true);
    assert_eq!(retweet["retweeted_id_str"], "861651727614746624");
    assert_eq!(retweet["retweeted_user_screen_name"], "notFromShrek");
    assert_eq!(retweet["retweeted_user_name"], "👸🏼🙄 Fiona");
    assert_eq!(
        retweet["retweeted_text"],
        "Since I feel like I shouldn't be someone who is condescending on the internet without offering a little help: https://t.co/bN4xcn4l2n"
    );
    assert_eq!(retweet["retweeted_created_at"], "2017-05-08T18:39:15Z");
    assert_eq!(retweet["tweet_format"], "v1.1");

    // A quote with hashtags.
    let quote = &docs["872836479608733696"];
    assert_eq!(quote["hashtags"], json!(["QuoteTweet", "hashtags"]));
    assert_eq!(quote["is_quote"], true);
    assert_eq!(quote["quoted_id_str"], "872836379595620353");
    assert_eq!(quote["quoted_text"], "L) This is a #Tweet with a #hashtag");
    assert_eq!(quote["quoted_place_name"], "Las Condes, Chile");
    assert_eq!(quote["created_at"], "2017-06-08T15:23:27Z");

    // Two photos, both in extended_entities.
    assert_eq!(
        docs["867833721579122688"]["media_urls"],
        json!([
            "https://pbs.twimg.com/media/DAsp3A6XUAITXbX.jpg",
            "https://pbs.twimg.com/media/DAsqKNDXsAAgcYI.jpg"
        ])
    );
    assert_eq!(docs["887450119146270723"]["place_name"], "Boulder, CO");
    assert_eq!(docs["887450119146270723"]["place_country"], "United States");
}

/// Fields the two formats fill differently, so that a document's
/// `tweet_format` is the only other difference (see README.md): activity
/// streams give no retweet count for a nested tweet.
const FORMAT_SPECIFIC: &[&str] = &["retweeted_retweet_count", "quoted_retweet_count"];
/// And a retweet's own `text` is the "RT @user: ..." that each format cuts
/// to 140 characters in its own way.
const FORMAT_SPECIFIC_IN_RETWEETS: &[&str] = &["text"];

#[test]
fn the_same_tweets_as_activity_streams_give_the_same_documents() {
    let v1 = flatten_all(&lines("tweet-parser-original-format.json"));
    let activity = flatten_all(&lines("tweet-parser-activity-streams.json"));
    assert_eq!(
        v1.keys().collect::<Vec<_>>(),
        activity.keys().collect::<Vec<_>>()
    );
    for (id, from_v1) in &v1 {
        let mut from_v1 = from_v1.as_object().unwrap().clone();
        let mut from_activity = activity[id].as_object().unwrap().clone();
        assert_eq!(from_v1.remove("tweet_format").unwrap(), "v1.1");
        assert_eq!(
            from_activity.remove("tweet_format").unwrap(),
            "activity_streams"
        );
        let mut specific = FORMAT_SPECIFIC.to_vec();
        if from_v1["is_retweet"] == true {
            specific.extend(FORMAT_SPECIFIC_IN_RETWEETS);
        }
        for field in specific {
            from_v1.remove(field);
            assert!(
                from_activity.remove(field).is_none() || field == "text",
                "{id}: activity streams have {field} after all"
            );
        }
        assert_eq!(from_v1, from_activity, "tweet {id}");
    }
    // Not vacuous: the documents hold the fields compared.
    let quote = &activity["872836479608733696"];
    assert_eq!(quote["quoted_user_screen_name"], "RobotPrincessFi");
    assert_eq!(
        activity["867478524235366400"]["retweeted_user_screen_name"],
        "notFromShrek"
    );
}

#[test]
fn v2_page_tweets_resolve_authors_retweets_quotes_and_media_from_includes() {
    let docs = flatten_all(&page_tweets("twarc-csv-brexit.jsonl"));
    assert_eq!(docs.len(), 100);

    let retweet = &docs["1440716856763977732"];
    assert_eq!(retweet["tweet_format"], "v2");
    assert_eq!(retweet["user_screen_name"], "jacquip537");
    assert_eq!(retweet["created_at"], "2021-09-22T16:37:20Z");
    assert_eq!(retweet["is_retweet"], true);
    assert_eq!(retweet["hashtags"], json!(["BorisJohnson"]));
    assert_eq!(retweet["retweeted_id_str"], "1440713161355583489");
    assert_eq!(retweet["retweeted_user_screen_name"], "carolJhedges");
    assert!(
        retweet["retweeted_text"]
            .as_str()
            .unwrap()
            .starts_with(". #BorisJohnson has revealed his favourite bottle of wine, Tignanello")
    );

    let quote = &docs["1440715975020584960"];
    assert_eq!(quote["user_screen_name"], "Munku1");
    assert_eq!(quote["is_quote"], true);
    assert_eq!(quote["quoted_id_str"], "1440660748275834882");
    assert_eq!(quote["quoted_user_screen_name"], "paulafr68963440");
    assert_eq!(quote["hashtags"], json!(["NicolaSturgeon", "Brexit"]));

    // A reply with a GIF: the preview image, as v1.1's media_url_https.
    let reply = &docs["1440716745577140229"];
    assert_eq!(reply["in_reply_to_status_id_str"], "1440621713281093641");
    assert_eq!(
        reply["media_urls"],
        json!(["https://pbs.twimg.com/tweet_video_thumb/E_50PPpUYAIE3uX.jpg"])
    );
    assert_eq!(
        docs["1440715751921360901"]["media_urls"],
        json!(["https://pbs.twimg.com/media/E_5zVzxVEAwat0j.jpg"])
    );
}

#[test]
fn v2_stream_lines_and_places() {
    // The 8th line is cut short: not JSON, so not a record here.
    let stream = lines("twarc-csv-streaming_output_with_error.jsonl");
    assert_eq!(stream.len(), 7);
    let docs = flatten_all(&stream);
    assert_eq!(docs.len(), 7);
    assert!(docs.values().all(|d| d["tweet_format"] == "v2"));

    let geo = flatten_all(&page_tweets("twarc-csv-geo_tweets.jsonl"));
    assert_eq!(geo.len(), 2);
    let with_place = geo
        .values()
        .filter(|d| d.get("place_name").is_some())
        .collect::<Vec<_>>();
    assert_eq!(with_place.len(), 1);
}

#[test]
fn tweets_flattened_by_twarc_carry_their_expansions_inline() {
    let docs = flatten_all(&lines("twarc-csv-flat.jsonl"));
    assert_eq!(docs.len(), 100);
    let first = &docs["1380242611781386245"];
    assert_eq!(first["user_screen_name"], "Alexandravm12");
    assert_eq!(first["user_name"], "Alexandra Machado");
    assert_eq!(first["user_followers_count"], 58);
    assert_eq!(first["retweet_count"], 410);
    assert_eq!(first["source"], "Twitter for Android");
    assert_eq!(first["retweeted_id_str"], "1380175475545362437");
    assert_eq!(first["retweeted_created_at"], "2021-04-08T15:07:30Z");
    assert!(first["retweeted_user_screen_name"].is_string());
}

#[test]
fn tweets_of_2007_with_only_a_numeric_id() {
    let tweets: Vec<Json> = serde_json::from_slice(
        &std::fs::read(data("python-twitter-public-timeline-2007.json")).unwrap(),
    )
    .unwrap();
    assert!(tweets.iter().all(|t| t.get("id_str").is_none()));
    let docs = flatten_all(&tweets);
    assert_eq!(docs.len(), 20);
    let first = &docs["89497702"];
    assert_eq!(first["created_at"], "2007-06-03T17:59:37Z");
    assert_eq!(first["user_name"], "Patrik Olterman");
    assert_eq!(first["tweet_format"], "v1.1");
    assert!(
        first["text"]
            .as_str()
            .unwrap()
            .starts_with("Warcry Blog: Anjas first Birthday")
    );
}

#[test]
fn what_is_no_tweet_is_rejected_by_default_saying_what_it_looks_like() {
    let filter = FlattenRetweets::init(Config::from_json("{}")).unwrap();
    let page = std::fs::read_to_string(data("twarc-csv-media_tweet.jsonl")).unwrap();
    let outcomes = process_batch(
        &filter,
        vec![page.trim().as_bytes().to_vec(), br#"{"foo":1}"#.to_vec()],
    );
    let reasons: Vec<String> = outcomes
        .into_iter()
        .map(|o| match o {
            Outcome::Reject(reason) => reason,
            other => panic!("expected a rejection, got {other:?}"),
        })
        .collect();
    assert!(
        reasons[0].starts_with("not a tweet: an API v2 response page"),
        "{}",
        reasons[0]
    );
    assert!(
        reasons[1].contains("no tweet format the plugin reads"),
        "{}",
        reasons[1]
    );
}
