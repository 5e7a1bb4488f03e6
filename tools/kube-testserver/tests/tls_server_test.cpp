// The server over real loopback sockets, in-process, with libcurl as the
// client (the agent's Kubernetes client is libcurl too).
#include <curl/curl.h>
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "tools/kube-testserver/api_server.h"
#include "tools/kube-testserver/credentials.h"
#include "tools/kube-testserver/tls_server.h"

using namespace drover::kts;

namespace {

struct RunningServer {
    Credentials credentials = *make_credentials("127.0.0.1", std::string("tok"));
    Cluster cluster;
    ApiServer api{cluster, credentials.token};
    std::unique_ptr<TlsServer> server;
    std::thread thread;

    RunningServer() {
        auto opened = TlsServer::open(
            "127.0.0.1", 0,
            TlsIdentity{credentials.server.cert_pem, credentials.server.key_pem, credentials.ca.cert_pem},
            [this](const HttpRequest& r, const Peer& p) { return api.handle(r, p); });
        REQUIRE(opened);
        server = std::move(*opened);
        server->set_stop_hook([this] { cluster.shutdown(); });
        thread = std::thread([this] { server->run(); });
    }
    ~RunningServer() {
        server->stop();
        thread.join();
    }
    std::string url(const std::string& path) const { return server_url("127.0.0.1", server->port()) + path; }
};

struct Curl {
    CURL* handle = curl_easy_init();
    curl_slist* headers = nullptr;
    std::string body;
    long status = 0;
    CURLcode code = CURLE_OK;

    explicit Curl(const RunningServer& s, bool with_token = true) {
        curl_blob ca{const_cast<char*>(s.credentials.ca.cert_pem.data()), s.credentials.ca.cert_pem.size(),
                     CURL_BLOB_COPY};
        curl_easy_setopt(handle, CURLOPT_CAINFO_BLOB, &ca);
        curl_easy_setopt(handle, CURLOPT_TIMEOUT, 20L);
        curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &Curl::on_data);
        curl_easy_setopt(handle, CURLOPT_WRITEDATA, this);
        if (with_token) headers = curl_slist_append(headers, "Authorization: Bearer tok");
    }
    ~Curl() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(handle);
    }
    static size_t on_data(char* p, size_t size, size_t n, void* self) {
        static_cast<Curl*>(self)->body.append(p, size * n);
        return size * n;
    }
    long request(const std::string& method, const std::string& url, const std::string& payload = "",
                 const std::string& content_type = "application/json") {
        body.clear();
        curl_slist* all = nullptr;
        for (curl_slist* h = headers; h != nullptr; h = h->next) all = curl_slist_append(all, h->data);
        all = curl_slist_append(all, ("Content-Type: " + content_type).c_str());
        curl_easy_setopt(handle, CURLOPT_HTTPHEADER, all);
        curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
        if (!payload.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
            curl_easy_setopt(handle, CURLOPT_POSTFIELDS, payload.c_str());
            curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
        } else {
            curl_easy_setopt(handle, CURLOPT_HTTPGET, 1L);
            curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
        }
        code = curl_easy_perform(handle);
        curl_slist_free_all(all);
        status = 0;
        curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }
    long connects() {
        long n = 0;
        curl_easy_getinfo(handle, CURLINFO_NUM_CONNECTS, &n);
        return n;
    }
};

}  // namespace

TEST_CASE("over TLS: a bearer token or a client certificate authenticates; nothing else does") {
    RunningServer s;
    Curl anonymous(s, false);
    CHECK(anonymous.request("GET", s.url("/api/v1/namespaces")) == 401);
    CHECK(json::parse(anonymous.body)["message"] == "Unauthorized");
    CHECK(anonymous.request("GET", s.url("/readyz")) == 200);

    Curl with_token(s);
    CHECK(with_token.request("GET", s.url("/api/v1/namespaces")) == 200);
    CHECK(json::parse(with_token.body)["kind"] == "NamespaceList");

    Curl with_cert(s, false);
    curl_blob cert{const_cast<char*>(s.credentials.client.cert_pem.data()), s.credentials.client.cert_pem.size(),
                   CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(s.credentials.client.key_pem.data()), s.credentials.client.key_pem.size(),
                  CURL_BLOB_COPY};
    curl_easy_setopt(with_cert.handle, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(with_cert.handle, CURLOPT_SSLKEY_BLOB, &key);
    CHECK(with_cert.request("GET", s.url("/api/v1/namespaces/default")) == 200);

    // A certificate from another CA fails the handshake, as on kube-apiserver.
    auto stranger = make_credentials("127.0.0.1", std::nullopt);
    REQUIRE(stranger);
    Curl foreign(s, false);
    curl_blob other_cert{const_cast<char*>(stranger->client.cert_pem.data()), stranger->client.cert_pem.size(),
                         CURL_BLOB_COPY};
    curl_blob other_key{const_cast<char*>(stranger->client.key_pem.data()), stranger->client.key_pem.size(),
                        CURL_BLOB_COPY};
    curl_easy_setopt(foreign.handle, CURLOPT_SSLCERT_BLOB, &other_cert);
    curl_easy_setopt(foreign.handle, CURLOPT_SSLKEY_BLOB, &other_key);
    foreign.request("GET", s.url("/api/v1/namespaces"));
    CHECK(foreign.code != CURLE_OK);
}

TEST_CASE("over TLS: connections are kept alive across requests, large bodies pass") {
    RunningServer s;
    Curl c(s);
    CHECK(c.request("GET", s.url("/api")) == 200);
    CHECK(c.connects() == 1);
    CHECK(c.request("PATCH", s.url("/api/v1/namespaces/default/configmaps/big?fieldManager=t"),
                    json{{"apiVersion", "v1"},
                         {"kind", "ConfigMap"},
                         {"metadata", {{"name", "big"}}},
                         {"data", {{"blob", std::string(2 * 1024 * 1024, 'x')}}}}
                        .dump(),
                    "application/apply-patch+yaml") == 201);
    CHECK(c.request("GET", s.url("/api/v1/namespaces/default/configmaps/big")) == 200);
    CHECK(c.connects() == 0);  // the last request reused the connection
    CHECK(json::parse(c.body)["data"]["blob"].get<std::string>().size() == 2 * 1024 * 1024);
}

TEST_CASE("over TLS: a watch streams on one connection while another connection writes") {
    RunningServer s;
    struct Watch {
        std::string received;
        std::atomic<bool> saw_added{false};
        static size_t on_data(char* p, size_t size, size_t n, void* self) {
            auto* w = static_cast<Watch*>(self);
            w->received.append(p, size * n);
            if (w->received.find("\"type\":\"ADDED\"") != std::string::npos &&
                w->received.find("\"name\":\"late\"") != std::string::npos) {
                w->saw_added = true;
                return 0;  // abort the transfer: seen what was wanted
            }
            return size * n;
        }
    } watch;
    Curl watcher(s);
    curl_easy_setopt(watcher.handle, CURLOPT_WRITEFUNCTION, &Watch::on_data);
    curl_easy_setopt(watcher.handle, CURLOPT_WRITEDATA, &watch);
    std::thread streaming([&] {
        watcher.request("GET",
                        s.url("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1&timeoutSeconds=15"));
    });
    Curl writer(s);
    CHECK(writer.request("PATCH", s.url("/api/v1/namespaces/default/configmaps/late?fieldManager=t"),
                         R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late"}})",
                         "application/apply-patch+yaml") == 201);
    streaming.join();
    CHECK(watch.saw_added);
}

TEST_CASE("over TLS: an injected drop closes the connection without an answer") {
    RunningServer s;
    Curl control(s);
    CHECK(control.request("POST", s.url("/testserver/faults?path=/api/v1&drop=true")) == 200);
    // On a fresh connection: libcurl silently retries a request that died on
    // a reused one (README.md: use times=2 against kept-alive clients).
    Curl c(s);
    c.request("GET", s.url("/api/v1"));
    CHECK(c.code == CURLE_GOT_NOTHING);
    CHECK(c.request("GET", s.url("/api/v1")) == 200);
}
