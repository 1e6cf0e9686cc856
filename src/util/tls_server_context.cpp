#include "util/tls_server_context.h"

#include <stdexcept>

namespace shopflow {

std::unique_ptr<boost::asio::ssl::context> make_tls_server_context(const std::string& cert_file, const std::string& key_file) {
  using boost::asio::ssl::context;
  auto tls = std::make_unique<context>(context::tls_server);
  tls->set_options(context::default_workarounds | context::no_sslv2 | context::no_sslv3 | context::no_tlsv1 | context::no_tlsv1_1 |
                   context::single_dh_use);
  boost::system::error_code ec;
  tls->use_certificate_chain_file(cert_file, ec);
  if (ec) throw std::runtime_error("cannot load TLS certificate " + cert_file + ": " + ec.message());
  tls->use_private_key_file(key_file, context::pem, ec);
  if (ec) throw std::runtime_error("cannot load TLS key " + key_file + ": " + ec.message());
  return tls;
}

} // namespace shopflow
