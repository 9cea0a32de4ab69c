#pragma once
// Deleting a container's directories (its log, its writable layer) takes milliseconds to seconds,
// yet `docker rm` and `docker run --rm` should only wait until the container is gone from view. So
// the directories are renamed into <root>/trash at once (one rename, same filesystem) and deleted
// by a background thread; whatever a crash leaves there is deleted when the engine starts again.
#include <string>

namespace berth::engine {

// Moves `dir` (which must be under `root`) into <root>/trash and deletes it in the background.
// A missing `dir` is fine. If the rename fails the directory is deleted in place, synchronously.
void move_to_trash(const std::string& dir, const std::string& root);

// Deletes, in the background, whatever an earlier engine left in <root>/trash.
void empty_trash(const std::string& root);

}  // namespace berth::engine
