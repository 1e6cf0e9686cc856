// The TLS context of a listener (HTTP and the PostgreSQL protocol alike): TLS 1.2 and newer, the
// certificate chain and private key from PEM files.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace shopflow {

// Throws std::runtime_error naming the file that cannot be loaded.
std::unique_ptr<boost::asio::ssl::context> make_tls_server_context(const std::string& cert_file, const std::string& key_file);

} // namespace shopflow
