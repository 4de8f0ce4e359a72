// A dependency-free SVG timeline of the ops an engine ran, for ndflow-demo: one row per lane,
// one sub-track per worker, so that a person can see at a glance that work overlapped in time
// across lanes and across the workers of a lane. Open the result in any browser.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ndflow::demo {

struct TimelineOp {
  std::string name;  // the op's name, e.g. "dot", "copy_to", "add"
  std::string row;   // the lane it ran on, e.g. "cpu(0) compute"
  int track =
      0;  // the worker within the lane (0, 1, ...); -1 for a waiting thread that ran it inline
  std::int64_t start_ns = 0, end_ns = 0;  // steady-clock ns; any origin
};

// An SVG document: a title; one row per entry of `rows`, in that order, labelled with the row
// name on the left; within a row one sub-track per distinct track value used in that row
// (so overlapping ops of two workers are visibly side by side in time, stacked vertically);
// every op a bar from start to end, coloured by op name (a stable colour per name from a small
// readable palette), with the name written inside the bar when it fits, and a <title> child on
// each bar (tooltip: name, row, track, start and duration in ms); a time axis along the bottom
// in milliseconds from the earliest start, with round tick values (1/2/5 x 10^k); a small
// legend of op name -> colour. Ops whose row is not in `rows` are ignored. Bars narrower than
// 1 px are drawn 1 px wide. Width is fixed (e.g. 1200 px), height follows the rows. `rows` may
// be empty or ops empty: still a valid SVG with the title and a note "no ops recorded".
//
// Each row is a <g class="row" data-row="ROW NAME"> holding its label and its bars, each bar a
// <rect class="op" ...>. A name repeated in `rows` gets a single row, at its first position.
std::string render_timeline_svg(const std::string& title, const std::vector<std::string>& rows,
                                const std::vector<TimelineOp>& ops);

}  // namespace ndflow::demo
