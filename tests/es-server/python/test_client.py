"""The official Python client (elasticsearch-py 8.19) against es-test-server.

A second client the project did not write: if the server's answers differ from what the
client expects of Elasticsearch 8 (product header, content types, response shapes, error
types and statuses), these tests fail. The server's URL comes from ES_URL; `run.sh` starts
the server with http.max_content_length = 1 MiB (MAX_CONTENT_LENGTH) and runs this file.
It is not a real cluster.
"""

import json
import os
import pathlib
import unittest

import elasticsearch
from elasticsearch import Elasticsearch, helpers

URL = os.environ["ES_URL"]
MAX_CONTENT_LENGTH = int(os.environ["MAX_CONTENT_LENGTH"])
DATA = pathlib.Path(__file__).resolve().parents[3] / "data" / "twitter.json"


def statuses():
    """The 100 real tweets of data/twitter.json (a search API response)."""
    return json.loads(DATA.read_text())["statuses"]


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.es = Elasticsearch(URL, request_timeout=30)
        # Each test owns its indices; start from none.
        self.es.options(ignore_status=404).indices.delete(index="py-*")

    def tearDown(self):
        self.es.close()


class Basics(ServerTest):
    def test_info_identifies_an_elasticsearch_8(self):
        info = self.es.info()
        self.assertEqual(info["version"]["number"], "8.15.0")
        self.assertEqual(info["tagline"], "You Know, for Search")

    def test_a_missing_index_raises_not_found(self):
        with self.assertRaises(elasticsearch.NotFoundError) as caught:
            self.es.get(index="py-missing", id="1")
        self.assertEqual(caught.exception.meta.status, 404)
        self.assertEqual(caught.exception.error, "index_not_found_exception")
        self.assertFalse(self.es.indices.exists(index="py-missing"))


class BulkCountSearch(ServerTest):
    def test_bulk_helper_indexes_the_tweets_and_count_and_search_find_them(self):
        tweets = statuses()
        actions = (
            {"_index": "py-tweets", "_id": t["id_str"], "_source": t} for t in tweets
        )
        ok, errors = helpers.bulk(self.es, actions, chunk_size=30)
        self.assertEqual((ok, errors), (100, []))
        self.es.indices.refresh(index="py-tweets")

        self.assertEqual(self.es.count(index="py-tweets")["count"], 100)
        # 96 of the 100 are in Japanese, 4 in Chinese.
        ja = self.es.count(index="py-tweets", query={"term": {"lang.keyword": "ja"}})
        self.assertEqual(ja["count"], 96)

        first = tweets[0]
        found = self.es.search(
            index="py-tweets", query={"term": {"_id": first["id_str"]}}
        )
        self.assertEqual(found["hits"]["total"], {"value": 1, "relation": "eq"})
        hit = found["hits"]["hits"][0]
        self.assertEqual(hit["_source"]["user"]["screen_name"], "ayuu0123")

        page = self.es.search(index="py-tweets", size=7, query={"match_all": {}})
        self.assertEqual(len(page["hits"]["hits"]), 7)
        self.assertEqual(page["hits"]["total"]["value"], 100)

    def test_bulk_errors_name_the_item_and_the_reason(self):
        body = [
            {"index": {"_index": "py-items", "_id": ""}},
            {"f": 1},
            {"index": {"_index": "py-items", "_id": "1", "op_type": "create"}},
            {"f": 2},
            {"index": {"_index": "py-items", "_id": "1", "op_type": "create"}},
            {"f": 3},
        ]
        response = self.es.bulk(operations=body, refresh=True)
        self.assertTrue(response["errors"])
        empty, created, conflict = response["items"]
        self.assertEqual(empty["index"]["status"], 400)
        self.assertEqual(
            empty["index"]["error"]["reason"],
            "if _id is specified it must not be empty",
        )
        self.assertEqual(created["create"]["status"], 201)
        self.assertEqual(conflict["create"]["status"], 409)
        self.assertEqual(
            conflict["create"]["error"]["type"], "version_conflict_engine_exception"
        )
        self.assertEqual(self.es.count(index="py-items")["count"], 1)


class Mappings(ServerTest):
    def test_explicit_and_dynamic_mappings_read_back_in_elasticsearchs_shape(self):
        self.es.indices.create(
            index="py-mapped",
            settings={"number_of_shards": 2, "number_of_replicas": 0},
            mappings={"properties": {"id_str": {"type": "keyword"}}},
        )
        self.es.index(index="py-mapped", id="1", document={"id_str": "1", "text": "hi"})
        mapping = self.es.indices.get_mapping(index="py-mapped")
        self.assertEqual(
            mapping["py-mapped"]["mappings"]["properties"],
            {
                "id_str": {"type": "keyword"},
                "text": {
                    "type": "text",
                    "fields": {"keyword": {"type": "keyword", "ignore_above": 256}},
                },
            },
        )
        settings = self.es.indices.get_settings(index="py-mapped")
        index_settings = settings["py-mapped"]["settings"]["index"]
        self.assertEqual(index_settings["number_of_shards"], "2")
        self.assertEqual(index_settings["number_of_replicas"], "0")
        self.assertEqual(self.es.cluster.health()["status"], "green")

    def test_a_template_applies_to_the_indices_it_matches(self):
        self.es.indices.put_index_template(
            name="py-template",
            index_patterns=["py-templated-*"],
            template={"settings": {"index.mapping.total_fields.limit": 5}},
        )
        try:
            got = self.es.indices.get_index_template(name="py-template")
            template = got["index_templates"][0]["index_template"]
            self.assertEqual(template["index_patterns"], ["py-templated-*"])
            self.assertEqual(
                template["template"]["settings"]["index"]["mapping"]["total_fields"],
                {"limit": "5"},
            )
            with self.assertRaises(elasticsearch.BadRequestError):
                self.es.indices.put_index_template(
                    name="py-template", index_patterns=["py-templated-*"], create=True
                )
        finally:
            self.es.indices.delete_index_template(name="py-template")
        with self.assertRaises(elasticsearch.NotFoundError):
            self.es.indices.get_index_template(name="py-template")


class LimitErrors(ServerTest):
    def test_the_total_fields_limit_error_is_elasticsearchs(self):
        self.es.indices.create(
            index="py-limited", settings={"index.mapping.total_fields.limit": 3}
        )
        with self.assertRaises(elasticsearch.BadRequestError) as caught:
            self.es.index(
                index="py-limited",
                id="1",
                document={"a": 1, "b": 2, "c": 3, "d": 4},
            )
        self.assertEqual(caught.exception.error, "document_parsing_exception")
        reason = caught.exception.info["error"]["reason"]
        self.assertRegex(
            reason,
            r"^\[1:\d+\] failed to parse: Limit of total fields \[3\] has been exceeded"
            r" while adding new fields \[4\]$",
        )

    def test_a_type_conflict_fails_that_document_only(self):
        ok, errors = helpers.bulk(
            self.es,
            [
                {"_index": "py-types", "_id": "1", "_source": {"n": 1}},
                {"_index": "py-types", "_id": "2", "_source": {"n": "many"}},
                {"_index": "py-types", "_id": "3", "_source": {"n": 3}},
            ],
            raise_on_error=False,
            refresh=True,
        )
        self.assertEqual(ok, 2)
        self.assertEqual(len(errors), 1)
        error = errors[0]["index"]
        self.assertEqual((error["_id"], error["status"]), ("2", 400))
        self.assertEqual(error["error"]["type"], "document_parsing_exception")
        self.assertIn(
            "failed to parse field [n] of type [long] in document with id '2'",
            error["error"]["reason"],
        )
        self.assertEqual(self.es.count(index="py-types")["count"], 2)

    def test_an_id_over_512_bytes_is_a_validation_error(self):
        with self.assertRaises(elasticsearch.BadRequestError) as caught:
            self.es.index(index="py-ids", id="x" * 600, document={"f": 1})
        self.assertEqual(caught.exception.error, "action_request_validation_exception")
        self.assertIn(
            "is too long, must be no longer than 512 bytes but was: 600",
            caught.exception.info["error"]["reason"],
        )

    def test_a_body_over_http_max_content_length_gets_413(self):
        document = {"text": "x" * (MAX_CONTENT_LENGTH + 1)}
        with self.assertRaises(elasticsearch.ApiError) as caught:
            self.es.index(index="py-big", id="1", document=document)
        self.assertEqual(caught.exception.meta.status, 413)
        self.assertFalse(self.es.indices.exists(index="py-big"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
