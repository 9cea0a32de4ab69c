#pragma once
// The QEMU guest agent protocol, minus the transport: requests {"execute": NAME, "arguments":
// {...}} in, replies {"return": VALUE} or {"error": {"class": ..., "desc": ...}} out, one JSON
// object per line. libvirt's qemu_agent.c is the client that matters, so replies follow qemu-ga
// exactly, including its quirks (guest-shutdown answers nothing on success; guest-sync-delimited
// prefixes its reply with 0xFF).
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/json.hpp"
#include "guest-agent/json_stream.hpp"

namespace berth::agent {

// A command failed; `error_class` is QMP's ("GenericError", "CommandNotFound").
class CommandError : public Error {
 public:
  CommandError(std::string error_class, const std::string& desc)
      : Error(desc), error_class_(std::move(error_class)) {}
  const std::string& error_class() const { return error_class_; }

 private:
  std::string error_class_;
};

struct CommandResult {
  Json value = Json::object();
  // False for commands whose success the host learns some other way (guest-shutdown: QEMU's
  // SHUTDOWN event), as libvirt then does not wait for a reply.
  bool reply = true;
  // Write 0xFF before the reply so the host can find the start of it in a dirty stream.
  bool delimited = false;
  // Runs after the reply has been written (so a shutdown cannot cut it off).
  std::function<void()> after_reply;
};

using CommandHandler = std::function<CommandResult(const Json& arguments)>;

class CommandTable {
 public:
  // `success_response` is what guest-info reports; it must match `CommandResult::reply`.
  void add(const std::string& name, CommandHandler handler, bool success_response = true);
  const CommandHandler* find(const std::string& name) const;

  struct Info {
    std::string name;
    bool success_response;
  };
  std::vector<Info> list() const;  // sorted by name

 private:
  struct Entry {
    CommandHandler handler;
    bool success_response;
  };
  std::map<std::string, Entry> entries_;
};

// Registers guest-sync, guest-sync-delimited, guest-ping and guest-info (which lists `table`).
void add_protocol_commands(CommandTable& table, const std::string& agent_version);

// Turns request bytes into reply bytes. Not thread-safe: one channel drives it.
class AgentProtocol {
 public:
  explicit AgentProtocol(const CommandTable& commands) : commands_(commands) {}

  struct Output {
    std::string bytes;                               // to write to the channel, in order
    std::vector<std::function<void()>> after_write;  // to run once `bytes` are written
  };
  Output feed(std::string_view bytes);
  // The host side went away: a half-received request from it is meaningless to the next client.
  void reset() { splitter_.reset(); }

  // The reply to one complete request object (exposed for tests).
  CommandResult execute(std::string_view request_text, Json& request_id) const;

 private:
  const CommandTable& commands_;
  JsonStreamSplitter splitter_;
};

// {"error": {"class": ..., "desc": ...}} as one line.
std::string error_reply(const std::string& error_class, const std::string& desc,
                        const Json& request_id = nullptr);

}  // namespace berth::agent
