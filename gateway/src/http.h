// Just enough HTTP/1.1 for /metrics, the probes and commands: one request per connection,
// a Content-Length body, and the connection closed after the response.
#pragma once

#include <string>
#include <string_view>

namespace pvm::gateway {

struct HttpRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', not decoded
  std::string body;
};

enum class HttpParse { Incomplete, Complete, Bad, TooLarge };

// Parses `data` (all bytes received so far) into `out` once the head and body are all there.
HttpParse parse_http_request(std::string_view data, HttpRequest& out);

// The value of NAME in "a=1&b=2", percent-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name);
std::string percent_decode(std::string_view text);

std::string http_response(int status, std::string_view content_type, std::string_view body);

}  // namespace pvm::gateway
