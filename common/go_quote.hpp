#pragma once
// Go's strconv.Quote (fmt's %q) for the texts docker prints through it: error messages that quote
// what the user gave, and the CLI's COMMAND column.
#include <string>
#include <string_view>

namespace berth {

// Double quotes around `text`, with \" \\ \n \t \r and \xNN for other control bytes; printable
// ASCII and UTF-8 stay as they are.
std::string go_quote(std::string_view text);

}  // namespace berth
