// The server's loop: reads each message, answers requests, applies notifications, and
// publishes diagnostics whenever a document changes. Whatever the client sends, the loop goes
// on: bad JSON, unknown methods and bad parameters get JSON-RPC errors.
#include "pvm/lsp/server.h"

#include <exception>

#include "json_rpc.h"
#include "requests.h"
#include "text_edit.h"
#include "uri.h"
#include "workspace.h"

namespace pvm::lsp {

namespace {

struct RequestError {
  int code;
  std::string message;
};

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string string_member(const json& j, const char* key) {
  const json* m = member(j, key);
  if (!m || !m->is_string())
    throw RequestError{kInvalidParams, std::string("'") + key + "' must be a string"};
  return m->get<std::string>();
}

class Server {
 public:
  Server(const std::function<void(std::string_view)>& write, const ServerOptions& options)
      : write_(write), options_(options), workspace_(options) {}

  // False once the client has sent `exit`.
  bool handle(const json& message) {
    if (!message.is_object()) return error(nullptr, kInvalidRequest, "a message is a JSON object"), true;
    const json* method = member(message, "method");
    const json* id = member(message, "id");
    const bool has_id = id && (id->is_number_integer() || id->is_string());
    if (id && !has_id && !id->is_null())
      return error(nullptr, kInvalidRequest, "an id is a number or a string"), true;
    if (!method) {
      if (!has_id) error(nullptr, kInvalidRequest, "a message without a method or an id");
      return true;  // a response to a request this server never sends
    }
    if (!method->is_string())
      return error(has_id ? *id : json(), kInvalidRequest, "the method is a string"), true;
    const std::string name = method->get<std::string>();
    const json* params = member(message, "params");
    const json no_params = json::object();
    const json& p = params ? *params : no_params;
    if (name == "exit") {
      exit_status_ = shutdown_ ? 0 : 1;
      return false;
    }
    try {
      if (has_id) {
        respond(*id, request(name, p));
      } else {
        notification(name, p);
      }
    } catch (const RequestError& e) {
      if (has_id) error(*id, e.code, e.message);
    } catch (const std::exception& e) {
      if (has_id) error(*id, kInternalError, std::string("internal error: ") + e.what());
    }
    return true;
  }

  void error(const json& id, int code, const std::string& message) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }

  int exit_status() const { return exit_status_; }

 private:
  void send(const json& message) { write_(frame(message)); }
  void respond(const json& id, json result) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }
  void notify(const char* method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }
  void log(int type, const std::string& message) {
    notify("window/logMessage", {{"type", type}, {"message", message}});
  }

  json request(const std::string& name, const json& p) {
    if (name == "initialize") return initialize(p);
    if (!initialized_) throw RequestError{kServerNotInitialized, "the first request must be initialize"};
    if (shutdown_) throw RequestError{kInvalidRequest, "the server is shutting down"};
    if (name == "shutdown") {
      shutdown_ = true;
      return nullptr;
    }
    if (name == "textDocument/hover")
      return at_position(
          p, [&](Document& d, auto& ix, auto pos, auto&) { return hover(workspace_, d, ix, pos); });
    if (name == "textDocument/definition")
      return at_position(
          p, [&](Document& d, auto& ix, auto pos, auto&) { return definition(workspace_, d, ix, pos); });
    if (name == "textDocument/references")
      return at_position(p, [&](Document& d, auto& ix, auto pos, auto&) {
        const json* context = member(p, "context");
        const json* decl = context ? member(*context, "includeDeclaration") : nullptr;
        return references(workspace_, d, ix, pos, decl && decl->is_boolean() && decl->get<bool>());
      });
    if (name == "textDocument/documentHighlight")
      return at_position(p, [&](Document& d, auto& ix, auto pos, auto&) { return highlights(d, ix, pos); });
    if (name == "textDocument/completion")
      return at_position(p, [&](Document& d, auto& ix, auto, const json& position) {
        return completion(d, ix, position["line"].get<uint32_t>(), position["character"].get<uint32_t>());
      });
    if (name == "textDocument/documentSymbol") {
      Document* d = document(p);
      return d ? document_symbols(*d, workspace_.analyse(*d)) : json(nullptr);
    }
    throw RequestError{kMethodNotFound, "unknown method '" + name + "'"};
  }

  json initialize(const json& p) {
    if (initialized_) throw RequestError{kInvalidRequest, "initialize was already sent"};
    initialized_ = true;
    std::vector<std::string> roots;
    if (const json* folders = member(p, "workspaceFolders"); folders && folders->is_array()) {
      for (const json& f : *folders)
        if (const json* uri = member(f, "uri"); uri && uri->is_string())
          if (std::string path = uri_to_path(uri->get<std::string>()); !path.empty()) roots.push_back(path);
    } else if (const json* root = member(p, "rootUri"); root && root->is_string()) {
      if (std::string path = uri_to_path(root->get<std::string>()); !path.empty()) roots.push_back(path);
    }
    workspace_.set_roots(std::move(roots));
    return {{"capabilities",
             {{"positionEncoding", "utf-16"},
              {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}}},
              {"hoverProvider", true},
              {"definitionProvider", true},
              {"referencesProvider", true},
              {"documentHighlightProvider", true},
              {"documentSymbolProvider", true},
              {"completionProvider", {{"triggerCharacters", {"#", "$", "."}}}}}},
            {"serverInfo", {{"name", "pvm"}, {"version", options_.version}}}};
  }

  void notification(const std::string& name, const json& p) {
    if (!initialized_ || shutdown_) return;  // dropped, as the protocol says
    if (name == "textDocument/didOpen") {
      const json* item = member(p, "textDocument");
      if (!item) throw RequestError{kInvalidParams, "no textDocument"};
      const std::string uri = string_member(*item, "uri");
      const json* version = member(*item, "version");
      if (!workspace_.open(uri, version && version->is_number_integer() ? version->get<int64_t>() : 0,
                           string_member(*item, "text")))
        return log(1, "more than " + std::to_string(Workspace::kMaxDocuments) + " documents open: " + uri +
                          " is not analysed");
      publish(*workspace_.find(uri));
    } else if (name == "textDocument/didChange") {
      Document* d = document(p);
      const json* changes = member(p, "contentChanges");
      if (!d || !changes || !changes->is_array()) return;
      std::string error;
      for (const json& change : *changes)
        if (!apply_change(d->text, change, error)) log(1, d->uri + ": " + error);
      const json* version = member(*member(p, "textDocument"), "version");
      if (version && version->is_number_integer()) d->version = version->get<int64_t>();
      d->index.reset();
      publish(*d);
    } else if (name == "textDocument/didClose") {
      Document* d = document(p);
      if (!d) return;
      notify("textDocument/publishDiagnostics", {{"uri", d->uri}, {"diagnostics", json::array()}});
      workspace_.close(d->uri);
    } else if (name == "textDocument/didSave") {
      // A saved file may be used by the others.
      workspace_.forget_analyses();
      for (Document* d : workspace_.documents()) publish(*d);
    }
    // Other notifications ($/cancelRequest, initialized, workspace/didChangeConfiguration, ...)
    // need nothing from this server.
  }

  Document* document(const json& p) {
    const json* td = member(p, "textDocument");
    if (!td) throw RequestError{kInvalidParams, "no textDocument"};
    return workspace_.find(string_member(*td, "uri"));
  }

  template <typename F>
  json at_position(const json& p, F&& f) {
    Document* d = document(p);
    const json* position = member(p, "position");
    uint32_t line, character;
    if (!position || !read_position(*position, line, character))
      throw RequestError{kInvalidParams, "'position' must be {line, character} with non-negative integers"};
    if (!d) return nullptr;
    const json clamped = {{"line", line}, {"character", character}};
    return f(*d, workspace_.analyse(*d), LineIndex(d->text).source_pos(line, character), clamped);
  }

  void publish(Document& d) {
    notify("textDocument/publishDiagnostics", diagnostics(workspace_, d, workspace_.analyse(d)));
  }

  const std::function<void(std::string_view)>& write_;
  ServerOptions options_;
  Workspace workspace_;
  bool initialized_ = false;
  bool shutdown_ = false;
  int exit_status_ = 1;
};

}  // namespace

int run_server(std::istream& in, const std::function<void(std::string_view)>& write,
               const ServerOptions& options) {
  Server server(write, options);
  std::string body, error;
  while (true) {
    switch (read_message(in, body, error)) {
      case ReadStatus::End:
        return server.exit_status();
      case ReadStatus::Broken:
        server.error(nullptr, kParseError, error);
        return server.exit_status();
      case ReadStatus::Rejected:
        server.error(nullptr, kInvalidRequest, error);
        continue;
      case ReadStatus::Message:
        break;
    }
    json message;
    if (!parse_json(body, message, error)) {
      server.error(nullptr, kParseError, error);
      continue;
    }
    if (!server.handle(message)) return server.exit_status();
  }
}

}  // namespace pvm::lsp
