// The control port's HTTP parsing and its size limit.
#include <doctest/doctest.h>

#include "http.h"
#include "pvm/gateway/limits.h"

using namespace pvm::gateway;

TEST_CASE("gateway: HTTP requests") {
  HttpRequest r;
  CHECK(parse_http_request("GET /metrics HTTP/1.1\r\nHost: x\r\n", r) == HttpParse::Incomplete);
  REQUIRE(parse_http_request("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n", r) == HttpParse::Complete);
  CHECK(r.method == "GET");
  CHECK(r.path == "/metrics");
  CHECK(r.query == "x=1");
  const std::string post =
      "POST /devices/1/commands/codec12 HTTP/1.1\r\ncontent-length: 17\r\n\r\n{\"text\":\"getver\"}";
  CHECK(parse_http_request(post.substr(0, post.size() - 1), r) == HttpParse::Incomplete);
  REQUIRE(parse_http_request(post, r) == HttpParse::Complete);
  CHECK(r.body == "{\"text\":\"getver\"}");
  CHECK(parse_http_request("garbage\r\n\r\n", r) == HttpParse::Bad);
  CHECK(parse_http_request("GET x HTTP/1.1\r\n\r\n", r) == HttpParse::Bad);
  CHECK(parse_http_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", r) == HttpParse::Bad);
}

TEST_CASE("gateway: HTTP request size limit") {
  HttpRequest r;
  const std::string head = "POST /x HTTP/1.1\r\nContent-Length: ";
  auto request = [&](size_t body) {
    return head + std::to_string(body) + "\r\n\r\n" + std::string(body, 'a');
  };
  const size_t fits = kMaxHttpRequest - (head.size() + std::to_string(kMaxHttpRequest).size() + 4);
  CHECK(parse_http_request(request(fits), r) == HttpParse::Complete);
  CHECK(parse_http_request(request(fits + 1), r) == HttpParse::TooLarge);
  CHECK(parse_http_request(std::string(kMaxHttpRequest + 1, 'a'), r) == HttpParse::TooLarge);
}

TEST_CASE("gateway: query parameters") {
  CHECK(query_param("wait=5&protocol=teltonika", "protocol") == "teltonika");
  CHECK(query_param("a=%41%2f+b", "a") == "A/ b");
  CHECK(query_param("a=1", "b").empty());
  CHECK(http_response(404, "text/plain", "no\n") ==
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: "
        "close\r\n\r\nno\n");
}
