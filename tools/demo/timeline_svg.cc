// Renders the ops an engine ran as an SVG timeline (see timeline_svg.h). Written by hand, with no
// XML or graphics library, so that the demo stays dependency-free; the price is that text widths
// are estimated, so the estimates below err on the wide side.
#include "tools/demo/timeline_svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ndflow::demo {
namespace {

constexpr double kWidth = 1200;
constexpr double kRightMargin = 40;  // room for the last tick label, centred on the right edge
constexpr double kTitleBaseline = 28;
constexpr double kTitleFont = 16;
constexpr double kLabelFont = 12;
constexpr double kTrackLabelFont = 10;
constexpr double kBarFont = 11;
constexpr double kLegendTop = 42;
constexpr double kLegendLine = 18;
constexpr double kTrackHeight = 18;
constexpr double kTrackGap = 3;
constexpr double kRowPad = 6;
constexpr double kAxisHeight = 48;
constexpr double kEmptyNoteHeight = 34;
constexpr double kMinLeftMargin = 110;
constexpr double kMaxLeftMargin = kWidth * 0.4;
constexpr int kTargetTicks = 10;

// Tableau 10: distinct hues that stay readable on white and for most colour-blind viewers.
constexpr std::array<const char*, 10> kPalette = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                                  "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                                  "#9c755f", "#bab0ac"};
// The palette entries too light for white text on them.
constexpr std::array<bool, 10> kLightColour = {false, false, false, true,  false,
                                               true,  false, true,  false, true};

// XML 1.0 forbids most control characters even when escaped, so they become spaces; the five
// markup characters are escaped everywhere, which is valid in both text and attributes.
std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 && c != '\t' && c != '\n' && c != '\r') ? ' ' : c;
    }
  }
  return out;
}

// Coordinates with two decimals at most: enough for sub-pixel placement, short in the file.
std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", ms);
  return buf;
}

// Without a font engine, width is estimated per code point; 0.62 em is wider than the average
// sans-serif glyph, so labels get a little too much room rather than too little.
double TextWidth(std::string_view s, double font_px) {
  std::size_t code_points = 0;
  for (char c : s) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return static_cast<double>(code_points) * font_px * 0.62;
}

// The longest prefix of `s` that fits `max_px`, with an ellipsis when something was cut; cuts
// fall between code points so that the result stays valid UTF-8.
std::string FitText(std::string_view s, double font_px, double max_px) {
  if (TextWidth(s, font_px) <= max_px) return std::string(s);
  const double room = max_px - TextWidth("\u2026", font_px);
  std::size_t end = 0;
  for (std::size_t i = 1; i <= s.size(); ++i) {
    const bool boundary = i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (!boundary) continue;
    if (TextWidth(s.substr(0, i), font_px) > room) break;
    end = i;
  }
  return std::string(s.substr(0, end)) + "\u2026";
}

std::uint32_t Fnv1a(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return h;
}

// Each name prefers the slot its hash picks, so "dot" keeps its colour from one picture to the
// next; a name whose slot is taken (by a name before it in sorted order) moves to the next free
// one, because two names sharing a colour in one picture would be worse than a colour that
// changes between pictures. Beyond ten names colours repeat; the tooltips still tell them apart.
std::map<std::string, int> AssignColours(const std::set<std::string>& names) {
  std::map<std::string, int> slot;
  std::array<bool, kPalette.size()> taken{};
  std::size_t used = 0;
  for (const std::string& name : names) {
    std::size_t s = Fnv1a(name) % kPalette.size();
    if (used < kPalette.size()) {
      while (taken[s]) s = (s + 1) % kPalette.size();
      taken[s] = true;
      ++used;
    }
    slot[name] = static_cast<int>(s);
  }
  return slot;
}

// Tick values are mantissa x 10^exponent x i; the labels are built from integers, so that they
// read "0.3" rather than "0.30000000000000004".
struct Ticks {
  int mantissa = 1;  // 1, 2 or 5
  int exponent = 0;  // step = mantissa x 10^exponent ms
  int count = 1;     // intervals; the axis ends at count x step
  double step_ms() const { return mantissa * std::pow(10.0, exponent); }
  double end_ms() const { return count * step_ms(); }
};

Ticks NiceTicks(double span_ms) {
  span_ms = std::max(span_ms, 1e-6);
  const double raw = span_ms / kTargetTicks;
  Ticks t;
  t.exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double m = raw / std::pow(10.0, t.exponent);
  t.mantissa = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
  if (t.mantissa == 10) t.mantissa = 1, ++t.exponent;
  t.count = std::max(1, static_cast<int>(std::ceil(span_ms / t.step_ms() - 1e-9)));
  return t;
}

// `units` x 10^exponent written as a decimal with no trailing zeros.
std::string ScaledDecimal(std::int64_t units, int exponent) {
  std::string digits = std::to_string(units);
  if (exponent >= 0) return units == 0 ? "0" : digits + std::string(exponent, '0');
  const std::size_t frac = static_cast<std::size_t>(-exponent);
  if (digits.size() <= frac) digits.insert(0, frac + 1 - digits.size(), '0');
  std::string s =
      digits.substr(0, digits.size() - frac) + "." + digits.substr(digits.size() - frac);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string TrackLabel(int track) { return track == -1 ? "inline" : "w" + std::to_string(track); }

// Workers in order, then the waiting threads that ran ops inline, which are the odd ones out.
bool TrackBefore(int a, int b) {
  if ((a < 0) != (b < 0)) return a >= 0;
  return a < b;
}

struct Row {
  std::string name;
  std::vector<int> tracks;  // in display order
  std::vector<const TimelineOp*> ops;
  double top = 0, height = 0;

  int TrackIndex(int track) const {
    return static_cast<int>(std::find(tracks.begin(), tracks.end(), track) - tracks.begin());
  }
  double TrackTop(int index) const { return top + kRowPad + index * (kTrackHeight + kTrackGap); }
};

// The rows to draw, first occurrence of each name only, with the ops that belong to them.
std::vector<Row> BuildRows(const std::vector<std::string>& names,
                           const std::vector<TimelineOp>& ops) {
  std::vector<Row> rows;
  std::map<std::string, std::size_t> index;
  for (const std::string& name : names) {
    if (index.emplace(name, rows.size()).second) rows.push_back(Row{name, {}, {}});
  }
  for (const TimelineOp& op : ops) {
    auto it = index.find(op.row);
    if (it != index.end()) rows[it->second].ops.push_back(&op);
  }
  for (Row& row : rows) {
    std::set<int> tracks;
    for (const TimelineOp* op : row.ops) tracks.insert(op->track);
    row.tracks.assign(tracks.begin(), tracks.end());
    std::sort(row.tracks.begin(), row.tracks.end(), TrackBefore);
    std::stable_sort(row.ops.begin(), row.ops.end(), [](const TimelineOp* a, const TimelineOp* b) {
      return a->start_ns < b->start_ns;
    });
  }
  return rows;
}

struct LegendItem {
  std::string name;
  double x = 0, y = 0;
};

// Everything that depends on the whole input: margins, time scale, where rows and legend go.
struct Layout {
  double left = kMinLeftMargin;  // x where the plot starts
  double plot_width = 0;
  double rows_top = 0, rows_bottom = 0, height = 0;
  std::int64_t origin_ns = 0;
  Ticks ticks;
  bool empty = true;
  std::map<std::string, int> colour;
  std::vector<LegendItem> legend;

  double X(std::int64_t ns) const {
    return left + static_cast<double>(ns - origin_ns) / 1e6 / ticks.end_ms() * plot_width;
  }
};

double TrackLabelsWidth(const Row& row) {
  double widest = 0;
  for (int t : row.tracks) widest = std::max(widest, TextWidth(TrackLabel(t), kTrackLabelFont));
  return widest;
}

// Row label (from x = 10), a gap, the track labels, and a gap before the plot.
double LeftMargin(const std::vector<Row>& rows) {
  double widest = 0;
  for (const Row& row : rows) {
    widest = std::max(widest, TextWidth(row.name, kLabelFont) + 12 + TrackLabelsWidth(row));
  }
  return std::clamp(widest + 20, kMinLeftMargin, kMaxLeftMargin);
}

// Legend entries flow left to right under the title and wrap at the right margin.
double PlaceLegend(Layout& layout) {
  double x = 12, y = kLegendTop;
  for (const auto& [name, slot] : layout.colour) {
    const double w = 16 + TextWidth(name, kLabelFont) + 12;
    if (x > 12 && x + w > kWidth - kRightMargin) x = 12, y += kLegendLine;
    layout.legend.push_back({name, x, y});
    x += w;
  }
  return layout.legend.empty() ? kLegendTop : y + kLegendLine;
}

Layout Plan(std::vector<Row>& rows) {
  Layout layout;
  std::set<std::string> names;
  std::int64_t first = 0, last = 0;
  for (const Row& row : rows) {
    for (const TimelineOp* op : row.ops) {
      first = layout.empty ? op->start_ns : std::min(first, op->start_ns);
      last = layout.empty ? op->end_ns : std::max(last, op->end_ns);
      last = std::max(last, op->start_ns);
      layout.empty = false;
      names.insert(op->name);
    }
  }
  layout.origin_ns = first;
  layout.ticks = NiceTicks(static_cast<double>(last - first) / 1e6);
  layout.colour = AssignColours(names);
  layout.left = LeftMargin(rows);
  layout.plot_width = kWidth - kRightMargin - layout.left;
  layout.rows_top = PlaceLegend(layout) + 6;
  double y = layout.rows_top;
  for (Row& row : rows) {
    const auto n = static_cast<double>(std::max<std::size_t>(row.tracks.size(), 1));
    row.top = y;
    row.height = 2 * kRowPad + n * kTrackHeight + (n - 1) * kTrackGap;
    y += row.height;
  }
  layout.rows_bottom = y;
  layout.height = y + (layout.empty ? kEmptyNoteHeight : kAxisHeight);
  return layout;
}

void AppendOpen(std::string& out, const std::string& title, const Layout& layout) {
  const std::string w = Num(kWidth), h = Num(layout.height);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + h +
         "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"Helvetica, Arial, sans-serif\"" +
         " font-size=\"" + Num(kLabelFont) + "\">\n";
  out += "<title>" + Esc(title) + "</title>\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out += "<text class=\"title\" x=\"12\" y=\"" + Num(kTitleBaseline) + "\" font-size=\"" +
         Num(kTitleFont) + "\" font-weight=\"bold\" fill=\"#222222\">" + Esc(title) + "</text>\n";
}

void AppendLegend(std::string& out, const Layout& layout) {
  out += "<g class=\"legend\">\n";
  for (const LegendItem& item : layout.legend) {
    const char* fill = kPalette[layout.colour.at(item.name)];
    out += "<rect x=\"" + Num(item.x) + "\" y=\"" + Num(item.y - 10) +
           "\" width=\"12\" height=\"12\" rx=\"2\" fill=\"" + fill + "\"/>";
    out += "<text x=\"" + Num(item.x + 16) + "\" y=\"" + Num(item.y) + "\" fill=\"#333333\">" +
           Esc(item.name) + "</text>\n";
  }
  out += "</g>\n";
}

// Row backgrounds span the whole width, so a row's label and its bars read as one band.
void AppendBackgrounds(std::string& out, const std::vector<Row>& rows) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    out += "<rect x=\"0\" y=\"" + Num(rows[i].top) + "\" width=\"" + Num(kWidth) + "\" height=\"" +
           Num(rows[i].height) + "\" fill=\"" + (i % 2 ? "#ffffff" : "#f2f4f7") + "\"/>\n";
  }
}

// Grid lines go under the bars: they help to line up ops across rows without hiding any.
void AppendGrid(std::string& out, const Layout& layout) {
  out += "<g class=\"grid\" stroke=\"#d5d9e0\" stroke-width=\"1\">\n";
  for (int i = 0; i <= layout.ticks.count; ++i) {
    const std::string x = Num(layout.left + layout.plot_width * i / layout.ticks.count);
    out += "<line x1=\"" + x + "\" y1=\"" + Num(layout.rows_top) + "\" x2=\"" + x + "\" y2=\"" +
           Num(layout.rows_bottom) + "\"/>\n";
  }
  out += "</g>\n";
}

std::string Tooltip(const TimelineOp& op, const Layout& layout) {
  const std::string track =
      op.track == -1 ? "inline (waiting thread)" : "worker " + std::to_string(op.track);
  const double start = static_cast<double>(op.start_ns - layout.origin_ns) / 1e6;
  const double duration =
      static_cast<double>(std::max<std::int64_t>(op.end_ns - op.start_ns, 0)) / 1e6;
  return op.name + "\n" + op.row + ", " + track + "\nstart " + Ms(start) + ", duration " +
         Ms(duration);
}

// A white edge separates back-to-back ops of one name, but it would wash out a bar only a pixel
// or two wide, which is exactly the bar that is hardest to see already.
constexpr const char* kBarEdge = " stroke=\"#ffffff\" stroke-width=\"0.6\"";

void AppendBar(std::string& out, const TimelineOp& op, double y, const Layout& layout) {
  const double x = layout.X(op.start_ns);
  const double w = std::max(1.0, layout.X(std::max(op.end_ns, op.start_ns)) - x);
  const int slot = layout.colour.at(op.name);
  out += "<rect class=\"op\" x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" + Num(w) +
         "\" height=\"" + Num(kTrackHeight) + "\" fill=\"" + kPalette[slot] + "\"" +
         (w >= 3 ? kBarEdge : "") + " data-name=\"" + Esc(op.name) + "\" data-track=\"" +
         std::to_string(op.track) + "\"><title>" + Esc(Tooltip(op, layout)) + "</title></rect>\n";
  if (TextWidth(op.name, kBarFont) + 6 > w) return;
  // pointer-events="none" keeps the tooltip of the bar under the text.
  out += "<text x=\"" + Num(x + 3) + "\" y=\"" + Num(y + kTrackHeight / 2 + 4) + "\" font-size=\"" +
         Num(kBarFont) + "\" fill=\"" + (kLightColour[slot] ? "#222222" : "#ffffff") +
         "\" pointer-events=\"none\">" + Esc(op.name) + "</text>\n";
}

void AppendRow(std::string& out, const Row& row, const Layout& layout) {
  out += "<g class=\"row\" data-row=\"" + Esc(row.name) + "\">\n";
  const double mid = row.top + row.height / 2;
  // A label too long for the widest margin allowed is cut, with the full name as its tooltip.
  const std::string label = FitText(row.name, kLabelFont, layout.left - 20 - TrackLabelsWidth(row));
  out += "<text class=\"row-label\" x=\"10\" y=\"" + Num(mid + 4) +
         "\" font-weight=\"bold\" fill=\"#222222\">" + Esc(label);
  if (label != row.name) out += "<title>" + Esc(row.name) + "</title>";
  out += "</text>\n";
  for (std::size_t i = 0; i < row.tracks.size(); ++i) {
    const double y = row.TrackTop(static_cast<int>(i)) + kTrackHeight / 2 + 3.5;
    out += "<text class=\"track-label\" x=\"" + Num(layout.left - 6) + "\" y=\"" + Num(y) +
           "\" font-size=\"" + Num(kTrackLabelFont) + "\" text-anchor=\"end\" fill=\"#777777\">" +
           TrackLabel(row.tracks[i]) + "</text>\n";
  }
  for (const TimelineOp* op : row.ops) {
    AppendBar(out, *op, row.TrackTop(row.TrackIndex(op->track)), layout);
  }
  out += "</g>\n";
}

void AppendAxis(std::string& out, const Layout& layout) {
  const std::string y = Num(layout.rows_bottom);
  out += "<g class=\"axis\" fill=\"#333333\" stroke=\"#555555\">\n";
  out += "<line x1=\"" + Num(layout.left) + "\" y1=\"" + y + "\" x2=\"" +
         Num(layout.left + layout.plot_width) + "\" y2=\"" + y + "\"/>\n";
  for (int i = 0; i <= layout.ticks.count; ++i) {
    const std::string x = Num(layout.left + layout.plot_width * i / layout.ticks.count);
    out += "<line x1=\"" + x + "\" y1=\"" + y + "\" x2=\"" + x + "\" y2=\"" +
           Num(layout.rows_bottom + 5) + "\"/>";
    out += "<text class=\"tick\" x=\"" + x + "\" y=\"" + Num(layout.rows_bottom + 18) +
           "\" text-anchor=\"middle\" stroke=\"none\">" +
           ScaledDecimal(std::int64_t{i} * layout.ticks.mantissa, layout.ticks.exponent) +
           "</text>\n";
  }
  out += "<text x=\"" + Num(layout.left + layout.plot_width / 2) + "\" y=\"" +
         Num(layout.rows_bottom + 36) +
         "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#555555\">time (ms) since the first "
         "op started</text>\n";
  out += "</g>\n";
}

// The note goes where the axis would be, under the (empty) rows, rather than across them.
void AppendEmptyNote(std::string& out, const Layout& layout) {
  out += "<text class=\"note\" x=\"12\" y=\"" + Num(layout.rows_bottom + 22) +
         "\" fill=\"#777777\">no ops recorded</text>\n";
}

}  // namespace

std::string render_timeline_svg(const std::string& title, const std::vector<std::string>& rows,
                                const std::vector<TimelineOp>& ops) {
  std::vector<Row> plan = BuildRows(rows, ops);
  const Layout layout = Plan(plan);
  std::string out;
  out.reserve(4096 + ops.size() * 320);
  AppendOpen(out, title, layout);
  AppendLegend(out, layout);
  AppendBackgrounds(out, plan);
  if (!layout.empty) AppendGrid(out, layout);
  for (const Row& row : plan) AppendRow(out, row, layout);
  if (layout.empty) {
    AppendEmptyNote(out, layout);
  } else {
    AppendAxis(out, layout);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace ndflow::demo
