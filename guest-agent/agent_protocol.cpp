#include "guest-agent/agent_protocol.hpp"

#include <exception>

namespace berth::agent {

namespace {

std::string line(const Json& reply) {
  // Invalid UTF-8 from the guest (an odd interface or host name) must not abort the reply.
  return reply.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string shorten(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

// guest-sync's id: libvirt sends a random unsigned 64-bit number and compares it exactly.
Json sync_id(const Json& arguments) {
  const auto it = arguments.find("id");
  if (it == arguments.end()) throw CommandError("GenericError", "Parameter 'id' is missing");
  if (!it->is_number_integer()) {
    throw CommandError("GenericError", "Parameter 'id' expects an integer");
  }
  return *it;
}

}  // namespace

void CommandTable::add(const std::string& name, CommandHandler handler, bool success_response) {
  entries_[name] = Entry{std::move(handler), success_response};
}

const CommandHandler* CommandTable::find(const std::string& name) const {
  const auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second.handler;
}

std::vector<CommandTable::Info> CommandTable::list() const {
  std::vector<Info> out;
  for (const auto& [name, entry] : entries_) out.push_back({name, entry.success_response});
  return out;
}

void add_protocol_commands(CommandTable& table, const std::string& agent_version) {
  table.add("guest-sync", [](const Json& args) { return CommandResult{.value = sync_id(args)}; });
  table.add("guest-sync-delimited", [](const Json& args) {
    return CommandResult{.value = sync_id(args), .delimited = true};
  });
  table.add("guest-ping", [](const Json&) { return CommandResult{}; });
  // The table outlives every request, so guest-info may list it by reference.
  table.add("guest-info", [&table, agent_version](const Json&) {
    Json commands = Json::array();
    for (const auto& info : table.list()) {
      commands.push_back(
          {{"name", info.name}, {"enabled", true}, {"success-response", info.success_response}});
    }
    return CommandResult{.value = {{"version", agent_version}, {"supported_commands", commands}}};
  });
}

std::string error_reply(const std::string& error_class, const std::string& desc,
                        const Json& request_id) {
  Json reply = {{"error", {{"class", error_class}, {"desc", desc}}}};
  if (!request_id.is_null()) reply["id"] = request_id;
  return line(reply);
}

CommandResult AgentProtocol::execute(std::string_view request_text, Json& request_id) const {
  Json request;
  try {
    request = Json::parse(request_text);
  } catch (const Json::parse_error& e) {
    throw CommandError("GenericError", std::string("JSON parse error, ") + e.what());
  }
  if (!request.is_object()) throw CommandError("GenericError", "QMP input must be a JSON object");
  if (const auto it = request.find("id"); it != request.end()) request_id = *it;
  const auto execute = request.find("execute");
  if (execute == request.end()) {
    throw CommandError("GenericError", "QMP input lacks member 'execute'");
  }
  if (!execute->is_string()) {
    throw CommandError("GenericError", "QMP input member 'execute' must be a string");
  }
  Json arguments = Json::object();
  if (const auto it = request.find("arguments"); it != request.end()) {
    if (!it->is_object()) {
      throw CommandError("GenericError", "QMP input member 'arguments' must be an object");
    }
    arguments = *it;
  }
  const std::string name = execute->get<std::string>();
  const CommandHandler* handler = commands_.find(name);
  if (handler == nullptr) {
    throw CommandError("CommandNotFound", "The command " + name + " has not been found");
  }
  return (*handler)(arguments);
}

AgentProtocol::Output AgentProtocol::feed(std::string_view bytes) {
  Output out;
  for (auto& item : splitter_.feed(bytes)) {
    if (item.kind == StreamItem::Kind::Garbage) {
      out.bytes += error_reply("GenericError",
                               "JSON parse error, invalid input '" + shorten(item.text) + "'");
      continue;
    }
    if (item.kind == StreamItem::Kind::TooLarge) {
      out.bytes += error_reply("GenericError",
                               "JSON parse error, request larger than " + item.text + " bytes");
      continue;
    }
    Json request_id;
    try {
      CommandResult result = execute(item.text, request_id);
      if (result.reply) {
        Json reply = {{"return", std::move(result.value)}};
        if (!request_id.is_null()) reply["id"] = request_id;
        if (result.delimited) out.bytes += '\xff';
        out.bytes += line(reply);
      }
      if (result.after_reply) out.after_write.push_back(std::move(result.after_reply));
    } catch (const CommandError& e) {
      out.bytes += error_reply(e.error_class(), e.what(), request_id);
    } catch (const std::exception& e) {
      // Any other failure is the command's, never the agent's: report it and keep serving.
      out.bytes += error_reply("GenericError", e.what(), request_id);
    }
  }
  return out;
}

}  // namespace berth::agent
