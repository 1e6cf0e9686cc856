# The third-party libraries every layer of src/ may link (src/CMakeLists.txt), found once for the
# main build and for the fuzz project. All but DuckDB come from Debian's packages (scripts/setup).
# DuckDB: the official libduckdb.so fetched by scripts/setup, or a user's own via -DDUCKDB_ROOT=.
set(DUCKDB_ROOT "${CMAKE_CURRENT_LIST_DIR}/../third_party/duckdb" CACHE PATH "folder holding include/duckdb.h and lib/libduckdb.so")
find_path(DUCKDB_INCLUDE_DIR duckdb.h PATHS "${DUCKDB_ROOT}/include" NO_DEFAULT_PATH)
find_library(DUCKDB_LIBRARY duckdb PATHS "${DUCKDB_ROOT}/lib" NO_DEFAULT_PATH)
if(NOT DUCKDB_INCLUDE_DIR OR NOT DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB not found under ${DUCKDB_ROOT}: run scripts/setup or pass -DDUCKDB_ROOT=")
endif()
add_library(duckdb SHARED IMPORTED)
set_target_properties(duckdb PROPERTIES IMPORTED_LOCATION "${DUCKDB_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_INCLUDE_DIR}")

find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(simdjson REQUIRED)
find_package(RocksDB REQUIRED)
find_package(PkgConfig REQUIRED)
# Boost 1.81 (Debian's libboost1.81-dev): Beast and Asio (headers) and URL.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS url)
# RapidJSON (rapidjson-dev), header-only: the JSON writer (util/json_writer.h).
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/writer.h REQUIRED)

find_package(spdlog REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(EDIT REQUIRED IMPORTED_TARGET libedit)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
# jemalloc (libjemalloc-dev): the program's allocator (CMakeLists.txt).
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
# libcurl (libcurl4-openssl-dev): S3 requests, SigV4-signed by libcurl; pugixml: S3's XML answers.
find_package(CURL REQUIRED)
find_package(pugixml REQUIRED)
