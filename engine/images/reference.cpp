#include "engine/images/reference.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "common/error.hpp"

// A hand-written matcher for distribution/reference's grammar (the regular expressions in
// github.com/distribution/reference/regexp.go). It is written out instead of using std::regex
// because libstdc++'s regex recurses per character and a long hostile name could exhaust the stack.
namespace berth::engine {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr size_t kNameTotalLengthMax = 255;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*; separator := [_.] | __ | [-]+
bool is_path_component(std::string_view s) {
  size_t i = 0;
  auto alnum_run = [&] {
    const size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnum_run()) return false;
  }
  return true;
}

// domain-name-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// domain := (domain-name | "[" ipv6 "]") [":" port]
bool is_domain(std::string_view s) {
  std::string_view host = s;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : s.substr(1, close - 1))
      if (!is_hex(c) && c != ':') return false;
    host = {};
    s = s.substr(close + 1);
    if (s.empty()) return true;
    if (s.front() != ':') return false;
  } else {
    const size_t colon = s.find(':');
    host = s.substr(0, colon);
    s = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
    size_t start = 0;
    while (true) {
      const size_t dot = host.find('.', start);
      if (!is_domain_component(host.substr(start, dot - start))) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    if (s.empty()) return true;
  }
  const std::string_view port = s.substr(1);  // s starts with ':'
  return !port.empty() &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split_slash(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = s.find('/', start);
    parts.push_back(s.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// name := [domain "/"] path-component ("/" path-component)*. Returns the domain length (0 when
// the name has none), or nullopt when `s` is not a name.
std::optional<size_t> match_name(std::string_view s) {
  const auto parts = split_slash(s);
  const bool rest_ok = std::all_of(parts.begin() + 1, parts.end(), is_path_component);
  if (!rest_ok) return std::nullopt;
  // The regexp tries the domain first, so a first part that is both stays a domain.
  if (parts.size() > 1 && is_domain(parts[0])) return parts[0].size();
  if (is_path_component(parts[0])) return 0;
  return std::nullopt;
}

// tag := [\w][\w.-]{0,127}
bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !is_word(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// digest := algorithm ":" hex{32,}; algorithm := [A-Za-z][A-Za-z0-9]* ([+._-][A-Za-z][A-Za-z0-9]*)*
bool matches_digest_grammar(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view algo = s.substr(0, colon), hex = s.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_hex)) return false;
  bool at_component_start = true;
  for (char c : algo) {
    if (at_component_start) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return false;
      at_component_start = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      at_component_start = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !algo.empty() && !at_component_start;
}

// go-digest's Digest.Validate, which runs after the grammar matched.
void validate_digest(std::string_view s) {
  const size_t colon = s.find(':');
  const std::string_view algo = s.substr(0, colon), hex = s.substr(colon + 1);
  if (algo != "sha256" && algo != "sha384" && algo != "sha512")
    throw InvalidArgument("unsupported digest algorithm");
  const size_t want = algo == "sha256" ? 64 : algo == "sha384" ? 96 : 128;
  if (hex.size() != want) throw InvalidArgument("invalid checksum digest length");
  if (!std::all_of(hex.begin(), hex.end(), [](char c) { return is_lower_alnum(c) && is_hex(c); }))
    throw InvalidArgument("invalid checksum digest format");
}

struct Parts {
  std::string name, tag, digest;
  size_t domain_length = 0;
};

// reference.Parse: the anchored reference regexp, then the name-length and digest checks.
std::optional<Parts> match_reference(std::string_view s) {
  Parts p;
  std::string_view rest = s;
  if (const size_t at = rest.find('@'); at != std::string_view::npos) {
    p.digest = rest.substr(at + 1);
    if (!matches_digest_grammar(p.digest)) return std::nullopt;
    rest = rest.substr(0, at);
  }
  const size_t last_slash = rest.rfind('/');
  const size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    p.tag = rest.substr(colon + 1);
    if (!is_tag(p.tag)) return std::nullopt;
    rest = rest.substr(0, colon);
  }
  const auto domain_length = match_name(rest);
  if (!domain_length) return std::nullopt;
  p.name = rest;
  p.domain_length = *domain_length;
  return p;
}

Parts parse_any(std::string_view s) {
  auto p = match_reference(s);
  if (!p) {
    if (s.empty()) throw InvalidArgument("repository name must have at least one component");
    if (match_reference(to_lower(s)))
      throw InvalidArgument("invalid reference format: repository name must be lowercase");
    throw InvalidArgument("invalid reference format");
  }
  if (p->name.size() > kNameTotalLengthMax)
    throw InvalidArgument("repository name must not be more than 255 characters");
  if (!p->digest.empty()) validate_digest(p->digest);
  return *p;
}

bool is_full_hex_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

// reference.ParseNormalizedNamed followed by TagNameOnly, as the daemon resolves names.
Reference Reference::parse(std::string_view text) {
  if (is_full_hex_id(text))
    throw InvalidArgument("invalid repository name (" + std::string(text) +
                          "), cannot specify 64-byte hexadecimal strings");
  // splitDockerDomain: the first part is a domain only when it looks like one ('.' or ':'), is
  // "localhost", or has upper-case letters (which a path component cannot have).
  std::string domain, remainder;
  const size_t slash = text.find('/');
  const std::string_view first = text.substr(0, slash);
  if (slash == std::string_view::npos || (first.find_first_of(".:") == std::string_view::npos &&
                                          first != "localhost" && to_lower(first) == first)) {
    domain = kDefaultDomain;
    remainder = text;
  } else {
    domain = first;
    remainder = text.substr(slash + 1);
  }
  if (domain == kLegacyDefaultDomain) domain = kDefaultDomain;
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos)
    remainder = std::string(kOfficialRepoPrefix) + remainder;

  const std::string remote = remainder.substr(0, remainder.find(':'));
  if (to_lower(remote) != remote)
    throw InvalidArgument("invalid reference format: repository name (" + remote +
                          ") must be lowercase");

  const Parts parts = parse_any(domain + "/" + remainder);
  Reference ref;
  ref.domain = parts.name.substr(0, parts.domain_length);
  ref.path = parts.name.substr(parts.domain_length + 1);
  ref.tag = parts.tag;
  ref.digest = parts.digest;
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

bool Reference::looks_like_id(std::string_view text) {
  std::string_view hex = text;
  const bool prefixed = text.starts_with("sha256:");
  if (prefixed) hex.remove_prefix(7);
  if (hex.empty() || hex.size() > 64) return false;
  if (!std::all_of(hex.begin(), hex.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return false;
  return prefixed || hex.size() >= 12;
}

std::string Reference::name() const {
  return domain + "/" + path;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  if (path.starts_with(kOfficialRepoPrefix) &&
      path.find('/', kOfficialRepoPrefix.size()) == std::string::npos)
    return path.substr(kOfficialRepoPrefix.size());
  return path;
}

std::string Reference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string Reference::familiar_string() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

}  // namespace berth::engine
