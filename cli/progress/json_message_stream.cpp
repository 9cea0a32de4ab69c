#include "cli/progress/json_message_stream.hpp"

#include <algorithm>

#include "cli/client/human_units.hpp"
#include "common/error.hpp"

namespace berth::cli::progress {

namespace {

constexpr const char* kClearLine = "\x1b[2K";

std::string cursor_up(int lines) {
  return "\x1b[" + std::to_string(lines) + "A";
}
std::string cursor_down(int lines) {
  return "\x1b[" + std::to_string(lines) + "B";
}

std::string text_of(const Json& message, const char* key) {
  auto it = message.find(key);
  return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool has_progress(const Json& message) {
  auto it = message.find("progressDetail");
  return it != message.end() && it->is_object();
}

}  // namespace

std::string progress_text(const Json& detail, int width) {
  const auto current = detail.value("current", std::int64_t{0});
  const auto total = detail.value("total", std::int64_t{0});
  const std::string units = detail.value("units", std::string());
  if (current <= 0 && total <= 0) return "";
  auto size = [](std::int64_t bytes) { return client::human_size(static_cast<double>(bytes), 4); };
  auto pad8 = [](std::string s) { return s.size() < 8 ? std::string(8 - s.size(), ' ') + s : s; };
  if (total <= 0) {
    return units.empty() ? pad8(size(current)) : std::to_string(current) + " " + units;
  }
  int percentage =
      static_cast<int>(static_cast<double>(current) / static_cast<double>(total) * 100) / 2;
  percentage = std::clamp(percentage, 0, 50);
  std::string bar;
  if (width > 110) {
    bar = "[" + std::string(percentage, '=') + ">" + std::string(50 - percentage, ' ') + "] ";
  }
  std::string numbers;
  if (units.empty()) {
    numbers = current > total ? pad8(size(current)) : pad8(size(current)) + "/" + size(total);
  } else {
    numbers = std::to_string(current) + "/" + std::to_string(total) + " " + units;
  }
  return bar + numbers;
}

JsonMessageStream::JsonMessageStream(std::ostream& out, bool terminal, int terminal_width)
    : out_(out), terminal_(terminal), width_(terminal_width) {}

void JsonMessageStream::feed(std::string_view data) {
  pending_.append(data);
  std::size_t start = 0;
  for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string_view line(pending_.data() + start, nl - start);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Json message = Json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object()) {
      const std::string shown(line.substr(0, 200));  // `line` points into pending_
      pending_.erase(0, nl + 1);
      throw Error("the engine sent a progress message that is not JSON: " + shown);
    }
    try {
      render(message);
    } catch (...) {
      pending_.erase(0, nl + 1);
      throw;
    }
  }
  pending_.erase(0, start);
}

void JsonMessageStream::finish() {
  if (pending_.find_first_not_of(" \t\r\n") == std::string::npos) return;
  feed("\n");
}

void JsonMessageStream::render(const Json& message) {
  if (auto aux = message.find("aux"); aux != message.end()) {
    if (on_aux) on_aux(*aux);
    return;
  }
  const std::string id = text_of(message, "id");
  int diff = 0;
  if (!id.empty() && (has_progress(message) || message.contains("progress"))) {
    auto [it, added] = lines_.try_emplace(id, static_cast<int>(lines_.size()));
    if (added && terminal_) out_ << "\n";
    diff = static_cast<int>(lines_.size()) - it->second;
    if (terminal_) out_ << cursor_up(diff);
  } else {
    // Something that is not a layer's progress: earlier layer lines are never redrawn again.
    lines_.clear();
  }
  display(message);
  if (!id.empty() && terminal_ && diff > 0) out_ << cursor_down(diff);
  out_.flush();
}

void JsonMessageStream::display(const Json& message) {
  if (auto error = message.find("errorDetail"); error != message.end() && error->is_object()) {
    const std::string text = error->value("message", text_of(message, "error"));
    throw Error(text.empty() ? "the engine reported an error without a message" : text);
  }
  if (auto error = text_of(message, "error"); !error.empty()) throw Error(error);
  const std::string stream = text_of(message, "stream");
  const bool progress = has_progress(message);
  const std::string bar = progress ? progress_text(message["progressDetail"], width_) : "";
  std::string end;
  if (terminal_ && stream.empty() && progress) {
    out_ << kClearLine << "\r";
    end = "\r";
  } else if (progress && !bar.empty()) {
    return;  // progress updates are for terminals only
  }
  const std::string id = text_of(message, "id");
  if (!id.empty()) out_ << id << ": ";
  if (auto from = text_of(message, "from"); !from.empty()) out_ << "(from " << from << ") ";
  const std::string status = text_of(message, "status");
  if (progress && terminal_) {
    out_ << status << " " << bar << end;
  } else if (auto legacy = text_of(message, "progress"); !legacy.empty()) {
    out_ << status << " " << legacy << end;
  } else if (!stream.empty()) {
    out_ << stream << end;
  } else {
    out_ << status << end << "\n";
  }
}

}  // namespace berth::cli::progress
