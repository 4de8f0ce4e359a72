// The SVG timeline of ndflow-demo: that the document is well-formed XML, has one row group per
// lane in the caller's order, puts overlapping workers on separate sub-tracks, escapes names,
// and labels a time axis that starts at the earliest op with round tick values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/demo/timeline_svg.h"

namespace ndflow_test {
namespace {

using ndflow::demo::render_timeline_svg;
using ndflow::demo::TimelineOp;

constexpr std::int64_t kMs = 1'000'000;

// A minimal XML reader, enough to check well-formedness (balanced tags, quoted attributes,
// nothing unescaped) and to look at elements, without a dependency on an XML library.
struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;  // values unescaped
  std::string text;                          // direct character data, unescaped
  int parent = -1;
};

struct Parsed {
  std::string error;  // empty when the document is well-formed
  std::vector<Element> elements;
};

// Unescapes [begin, end) of `s`; false if it holds '<' or an '&' that starts no known entity.
bool Unescape(const std::string& s, std::size_t begin, std::size_t end, std::string& out) {
  static const std::map<std::string, char> kEntities = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (std::size_t i = begin; i < end; ++i) {
    if (s[i] == '<') return false;
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string::npos || semi >= end) return false;
    auto it = kEntities.find(s.substr(i + 1, semi - i - 1));
    if (it == kEntities.end()) return false;
    out += it->second;
    i = semi;
  }
  return true;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '.';
}

// Parses the start tag at `pos` (just after '<') into `el`; returns the position after '>' or
// std::string::npos on error. `self_closing` tells whether it ended with "/>".
std::size_t ParseStartTag(const std::string& s, std::size_t pos, Element& el, bool& self_closing) {
  while (pos < s.size() && IsNameChar(s[pos])) el.name += s[pos++];
  if (el.name.empty()) return std::string::npos;
  while (pos < s.size()) {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    if (s.compare(pos, 2, "/>") == 0) return self_closing = true, pos + 2;
    if (pos < s.size() && s[pos] == '>') return self_closing = false, pos + 1;
    std::string attr;
    while (pos < s.size() && IsNameChar(s[pos])) attr += s[pos++];
    if (attr.empty() || s.compare(pos, 2, "=\"") != 0) return std::string::npos;
    const std::size_t close = s.find('"', pos + 2);
    std::string value;
    if (close == std::string::npos || !Unescape(s, pos + 2, close, value)) return std::string::npos;
    if (!el.attrs.emplace(attr, value).second) return std::string::npos;  // duplicate attribute
    pos = close + 1;
  }
  return std::string::npos;
}

Parsed ParseXml(const std::string& s) {
  Parsed p;
  std::vector<int> open;  // indices of the elements not yet closed
  int roots = 0;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t lt = s.find('<', pos);
    const std::size_t text_end = lt == std::string::npos ? s.size() : lt;
    std::string text;
    if (!Unescape(s, pos, text_end, text) ||
        s.substr(pos, text_end - pos).find('>') != std::string::npos) {
      return p.error = "bad character data near offset " + std::to_string(pos), p;
    }
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string::npos) {
      return p.error = "text outside the root element", p;
    }
    if (!open.empty()) p.elements[open.back()].text += text;
    if (lt == std::string::npos) break;
    if (s.compare(lt, 2, "<?") == 0 || s.compare(lt, 4, "<!--") == 0) {
      const std::string end = s[lt + 1] == '?' ? "?>" : "-->";
      const std::size_t e = s.find(end, lt);
      if (e == std::string::npos) return p.error = "unterminated " + end, p;
      pos = e + end.size();
    } else if (s.compare(lt, 2, "</") == 0) {
      const std::size_t gt = s.find('>', lt);
      if (gt == std::string::npos || open.empty()) return p.error = "stray end tag", p;
      const std::string name = s.substr(lt + 2, gt - lt - 2);
      if (name != p.elements[open.back()].name) {
        return p.error = "</" + name + "> closes <" + p.elements[open.back()].name + ">", p;
      }
      open.pop_back();
      pos = gt + 1;
    } else {
      Element el;
      el.parent = open.empty() ? -1 : open.back();
      bool self_closing = false;
      pos = ParseStartTag(s, lt + 1, el, self_closing);
      if (pos == std::string::npos) return p.error = "bad start tag at " + std::to_string(lt), p;
      if (open.empty() && ++roots > 1) return p.error = "more than one root element", p;
      p.elements.push_back(std::move(el));
      if (!self_closing) open.push_back(static_cast<int>(p.elements.size()) - 1);
    }
  }
  if (!open.empty()) p.error = "<" + p.elements[open.back()].name + "> is never closed";
  if (roots != 1) p.error = "no root element";
  return p;
}

Parsed ParseOk(const std::string& svg) {
  Parsed p = ParseXml(svg);
  EXPECT_EQ(p.error, "") << svg;
  return p;
}

bool HasClass(const Element& el, const std::string& cls) {
  auto it = el.attrs.find("class");
  return it != el.attrs.end() && it->second == cls;
}

std::vector<const Element*> Find(const Parsed& p, const std::string& name, const std::string& cls) {
  std::vector<const Element*> out;
  for (const Element& el : p.elements) {
    if (el.name == name && HasClass(el, cls)) out.push_back(&el);
  }
  return out;
}

double Attr(const Element& el, const std::string& name) { return std::stod(el.attrs.at(name)); }

// The <title> child of a bar: its tooltip.
std::string TooltipOf(const Parsed& p, const Element& bar) {
  const int index = static_cast<int>(&bar - p.elements.data());
  for (const Element& el : p.elements) {
    if (el.parent == index && el.name == "title") return el.text;
  }
  return "";
}

// The row group that holds `el`, or nullptr.
const Element* RowOf(const Parsed& p, const Element& el) {
  for (int i = el.parent; i >= 0; i = p.elements[i].parent) {
    if (p.elements[i].name == "g" && HasClass(p.elements[i], "row")) return &p.elements[i];
  }
  return nullptr;
}

TimelineOp Op(std::string name, std::string row, int track, double start_ms, double end_ms) {
  return TimelineOp{std::move(name), std::move(row), track,
                    static_cast<std::int64_t>(start_ms * kMs),
                    static_cast<std::int64_t>(end_ms * kMs)};
}

const std::vector<std::string> kLanes = {"cpu(0) compute", "cpu(0) copy-in"};

std::vector<TimelineOp> SampleOps() {
  return {Op("dot", kLanes[0], 0, 0, 10),      Op("dot", kLanes[0], 1, 2, 12),
          Op("add", kLanes[0], 0, 10, 11),     Op("copy_to", kLanes[1], 0, 1, 6),
          Op("copy_to", kLanes[1], 0, 6, 9.5), Op("dot", kLanes[0], -1, 12, 13)};
}

TEST(TimelineSvgTest, IsWellFormedSvgWithSize) {
  const std::string svg = render_timeline_svg("sample", kLanes, SampleOps());
  const Parsed p = ParseOk(svg);
  ASSERT_FALSE(p.elements.empty());
  const Element& root = p.elements.front();
  EXPECT_EQ(root.name, "svg");
  EXPECT_EQ(root.attrs.at("xmlns"), "http://www.w3.org/2000/svg");
  EXPECT_GT(Attr(root, "width"), 0);
  EXPECT_GT(Attr(root, "height"), 0);
  EXPECT_EQ(root.attrs.at("viewBox"),
            "0 0 " + root.attrs.at("width") + " " + root.attrs.at("height"));
}

TEST(TimelineSvgTest, WellFormednessCheckCatchesBrokenDocuments) {
  EXPECT_NE(ParseXml("<svg><g></svg>").error, "");
  EXPECT_NE(ParseXml("<svg><text>a & b</text></svg>").error, "");
  EXPECT_NE(ParseXml("<svg><text x=\"<\"/></svg>").error, "");
  EXPECT_NE(ParseXml("<svg/><svg/>").error, "");
  EXPECT_EQ(ParseXml("<?xml version=\"1.0\"?>\n<svg><text>a &amp; b</text></svg>\n").error, "");
}

TEST(TimelineSvgTest, OneRowGroupPerRowInOrder) {
  const std::vector<std::string> rows = {"gpu(0) compute", "cpu(0) compute", "cpu(0) copy-in",
                                         "cpu(0) compute"};
  const Parsed p = ParseOk(render_timeline_svg("rows", rows, SampleOps()));
  const auto groups = Find(p, "g", "row");
  ASSERT_EQ(groups.size(), 3u) << "a repeated row name gets one row";
  EXPECT_EQ(groups[0]->attrs.at("data-row"), "gpu(0) compute");
  EXPECT_EQ(groups[1]->attrs.at("data-row"), "cpu(0) compute");
  EXPECT_EQ(groups[2]->attrs.at("data-row"), "cpu(0) copy-in");
  // Rows go down the page in the same order.
  const auto labels = Find(p, "text", "row-label");
  ASSERT_EQ(labels.size(), 3u);
  EXPECT_LT(Attr(*labels[0], "y"), Attr(*labels[1], "y"));
  EXPECT_LT(Attr(*labels[1], "y"), Attr(*labels[2], "y"));
  EXPECT_EQ(labels[1]->text, "cpu(0) compute");
}

TEST(TimelineSvgTest, BarsOnlyForOpsInKnownRows) {
  std::vector<TimelineOp> ops = SampleOps();
  ops.push_back(Op("mul", "gpu(0) compute", 0, 3, 4));
  ops.push_back(Op("mul", "", 0, 3, 4));
  const std::string svg = render_timeline_svg("known rows", kLanes, ops);
  const Parsed p = ParseOk(svg);
  const auto bars = Find(p, "rect", "op");
  ASSERT_EQ(bars.size(), SampleOps().size());
  for (const Element* bar : bars) {
    const Element* row = RowOf(p, *bar);
    ASSERT_NE(row, nullptr);
    EXPECT_NE(bar->attrs.at("data-name"), "mul");
    EXPECT_NE(TooltipOf(p, *bar).find(row->attrs.at("data-row")), std::string::npos);
  }
  EXPECT_EQ(svg.find("mul"), std::string::npos) << "nor a legend entry for them";
}

TEST(TimelineSvgTest, EscapesNamesEverywhere) {
  const std::string name = "a<b & \"c\"";
  const std::string row = "lane 'x' <&>";
  const std::string title = "t <1> & 'q'";
  const std::string svg = render_timeline_svg(title, {row}, {Op(name, row, 0, 0, 20)});
  const Parsed p = ParseOk(svg);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_EQ(svg.find("<&>"), std::string::npos);
  const auto bars = Find(p, "rect", "op");
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0]->attrs.at("data-name"), name);
  EXPECT_EQ(TooltipOf(p, *bars[0]).substr(0, name.size()), name);
  ASSERT_EQ(Find(p, "g", "row").size(), 1u);
  EXPECT_EQ(Find(p, "g", "row")[0]->attrs.at("data-row"), row);
  EXPECT_EQ(Find(p, "text", "row-label")[0]->text, row);
  EXPECT_EQ(Find(p, "text", "title")[0]->text, title);
}

// The tick values of a rendered timeline whose ops span `span_ms`.
std::vector<std::string> TickLabels(double span_ms) {
  const Parsed p = ParseOk(render_timeline_svg("ticks", {"r"}, {Op("op", "r", 0, 3, 3 + span_ms)}));
  std::vector<std::string> out;
  for (const Element* t : Find(p, "text", "tick")) out.push_back(t->text);
  return out;
}

TEST(TimelineSvgTest, TickLabelsAreRoundNumbers) {
  for (double span : {0.0123, 0.7, 1.0, 3.0, 37.3, 50.0, 1234.0, 98765.0}) {
    SCOPED_TRACE("span " + std::to_string(span) + " ms");
    const std::vector<std::string> labels = TickLabels(span);
    ASSERT_GE(labels.size(), 4u);
    ASSERT_LE(labels.size(), 12u);
    EXPECT_EQ(labels[0], "0");
    const double step = std::stod(labels[1]);
    const double exponent = std::floor(std::log10(step));
    const double mantissa = step / std::pow(10.0, exponent);
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << "step " << labels[1];
    for (std::size_t i = 0; i < labels.size(); ++i) {
      EXPECT_NEAR(std::stod(labels[i]), step * static_cast<double>(i), step * 1e-9);
      // A round number needs no more decimals than the step: "0.3", not "0.30000000000000004".
      const std::size_t dot = labels[i].find('.');
      const std::size_t decimals = dot == std::string::npos ? 0 : labels[i].size() - dot - 1;
      EXPECT_LE(decimals, static_cast<std::size_t>(std::max(0.0, -exponent))) << labels[i];
    }
    EXPECT_GE(std::stod(labels.back()), span * (1 - 1e-9)) << "the axis covers every op";
  }
}

TEST(TimelineSvgTest, OverlappingWorkersGetSeparateSubTracks) {
  const Parsed p = ParseOk(render_timeline_svg(
      "overlap", {"cpu(0) compute"},
      {Op("dot", "cpu(0) compute", 0, 0, 10), Op("dot", "cpu(0) compute", 1, 5, 15)}));
  const auto bars = Find(p, "rect", "op");
  ASSERT_EQ(bars.size(), 2u);
  const Element& w0 = bars[0]->attrs.at("data-track") == "0" ? *bars[0] : *bars[1];
  const Element& w1 = bars[0]->attrs.at("data-track") == "0" ? *bars[1] : *bars[0];
  EXPECT_LT(Attr(w0, "y"), Attr(w1, "y")) << "worker 0 above worker 1";
  EXPECT_GE(Attr(w1, "y") - Attr(w0, "y"), Attr(w0, "height")) << "bars do not overlap";
  // They do overlap in time, which is the point of stacking them.
  EXPECT_LT(Attr(w1, "x"), Attr(w0, "x") + Attr(w0, "width"));
}

TEST(TimelineSvgTest, InlineTrackComesAfterWorkers) {
  const Parsed p = ParseOk(render_timeline_svg("inline", kLanes, SampleOps()));
  std::map<std::string, double> y_of_track;
  for (const Element* bar : Find(p, "rect", "op")) {
    if (RowOf(p, *bar)->attrs.at("data-row") == kLanes[0]) {
      y_of_track[bar->attrs.at("data-track")] = Attr(*bar, "y");
    }
  }
  ASSERT_EQ(y_of_track.size(), 3u);
  EXPECT_LT(y_of_track["0"], y_of_track["1"]);
  EXPECT_LT(y_of_track["1"], y_of_track["-1"]);
  std::vector<std::string> track_labels;
  for (const Element* t : Find(p, "text", "track-label")) track_labels.push_back(t->text);
  EXPECT_EQ(track_labels, (std::vector<std::string>{"w0", "w1", "inline", "w0"}));
}

TEST(TimelineSvgTest, EmptyInputIsStillADocument) {
  for (const auto& rows : {std::vector<std::string>{}, kLanes}) {
    const std::string svg = render_timeline_svg("nothing ran", rows, {});
    const Parsed p = ParseOk(svg);
    EXPECT_EQ(p.elements.front().name, "svg");
    EXPECT_NE(svg.find("no ops recorded"), std::string::npos);
    EXPECT_EQ(Find(p, "text", "title")[0]->text, "nothing ran");
    EXPECT_EQ(Find(p, "g", "row").size(), rows.size());
    EXPECT_TRUE(Find(p, "rect", "op").empty());
  }
  // Ops in no known row are as good as none.
  const std::string svg = render_timeline_svg("t", {}, SampleOps());
  ParseOk(svg);
  EXPECT_NE(svg.find("no ops recorded"), std::string::npos);
}

TEST(TimelineSvgTest, TimeOriginIsTheEarliestOp) {
  const std::int64_t base = 987'654'321'000'000;  // steady-clock values have an arbitrary origin
  std::vector<TimelineOp> ops = {Op("late", "r", 0, 0, 0), Op("first", "r", 1, 0, 0)};
  ops[0].start_ns = base + 2 * kMs, ops[0].end_ns = base + 10 * kMs;
  ops[1].start_ns = base, ops[1].end_ns = base + 4 * kMs;
  const Parsed p = ParseOk(render_timeline_svg("origin", {"r"}, ops));
  const auto ticks = Find(p, "text", "tick");
  ASSERT_FALSE(ticks.empty());
  ASSERT_EQ(ticks[0]->text, "0");
  std::map<std::string, const Element*> bar;
  for (const Element* b : Find(p, "rect", "op")) bar[b->attrs.at("data-name")] = b;
  ASSERT_EQ(bar.size(), 2u);
  EXPECT_NEAR(Attr(*bar["first"], "x"), Attr(*ticks[0], "x"), 0.01);
  EXPECT_GT(Attr(*bar["late"], "x"), Attr(*bar["first"], "x"));
  EXPECT_NE(TooltipOf(p, *bar["first"]).find("start 0.000 ms, duration 4.000 ms"),
            std::string::npos);
  EXPECT_NE(TooltipOf(p, *bar["late"]).find("start 2.000 ms, duration 8.000 ms"),
            std::string::npos);
}

TEST(TimelineSvgTest, TinyOpsAreAtLeastOnePixelWide) {
  std::vector<TimelineOp> ops = {Op("long", "r", 0, 0, 50), Op("tiny", "r", 0, 20, 20),
                                 Op("tiny", "r", 0, 30, 30.000001)};
  const Parsed p = ParseOk(render_timeline_svg("tiny", {"r"}, ops));
  for (const Element* b : Find(p, "rect", "op")) {
    EXPECT_GE(Attr(*b, "width"), 1.0);
    if (b->attrs.at("data-name") == "tiny") {
      EXPECT_EQ(Attr(*b, "width"), 1.0);
    }
  }
}

TEST(TimelineSvgTest, ColoursFollowNamesAndTheLegendListsThem) {
  const Parsed p = ParseOk(render_timeline_svg("colours", kLanes, SampleOps()));
  std::map<std::string, std::set<std::string>> fills;
  for (const Element* b : Find(p, "rect", "op")) {
    fills[b->attrs.at("data-name")].insert(b->attrs.at("fill"));
  }
  ASSERT_EQ(fills.size(), 3u);
  std::set<std::string> distinct;
  for (const auto& [name, f] : fills) {
    EXPECT_EQ(f.size(), 1u) << name << " has one colour";
    distinct.insert(*f.begin());
  }
  EXPECT_EQ(distinct.size(), 3u) << "names get distinct colours";
  // The legend: a swatch of the same colour before each name.
  std::map<std::string, std::string> legend;
  for (std::size_t i = 1; i < p.elements.size(); ++i) {
    const Element& el = p.elements[i];
    if (el.name != "text" || el.parent < 0 || !HasClass(p.elements[el.parent], "legend")) continue;
    legend[el.text] = p.elements[i - 1].attrs.at("fill");
  }
  ASSERT_EQ(legend.size(), 3u);
  for (const auto& [name, f] : fills) EXPECT_EQ(legend[name], *f.begin()) << name;
  // Deterministic: the same input renders the same document.
  EXPECT_EQ(render_timeline_svg("x", kLanes, SampleOps()),
            render_timeline_svg("x", kLanes, SampleOps()));
}

TEST(TimelineSvgTest, NameIsWrittenInsideBarsWideEnough) {
  const Parsed p = ParseOk(render_timeline_svg(
      "names", {"r"}, {Op("wide_op", "r", 0, 0, 50), Op("narrow_op", "r", 1, 10, 10.1)}));
  std::set<std::string> written;
  for (const Element& el : p.elements) {
    if (el.name == "text" && el.parent >= 0 && HasClass(p.elements[el.parent], "row")) {
      written.insert(el.text);
    }
  }
  EXPECT_TRUE(written.count("wide_op"));
  EXPECT_FALSE(written.count("narrow_op"));
}

TEST(TimelineSvgTest, LeftMarginFitsTheLongestLabel) {
  const std::string long_name = "a remarkably long lane name for a made-up device(12) copy-out";
  auto plot_left = [](const std::vector<std::string>& rows) {
    const Parsed p = ParseOk(render_timeline_svg("margin", rows, {Op("op", rows[0], 0, 0, 1)}));
    return Attr(*Find(p, "text", "tick").at(0), "x");
  };
  const double short_left = plot_left({"cpu"});
  const double long_left = plot_left({"cpu", long_name});
  EXPECT_GT(long_left, short_left);
  EXPECT_GT(long_left, 0.55 * 12 * static_cast<double>(long_name.size()))
      << "room for the label at 12 px, about 0.55 em a character";
}

TEST(TimelineSvgTest, AbsurdlyLongLabelsAreCutNotSpilled) {
  std::string long_name;
  for (int i = 0; i < 120; ++i) long_name += "\u00e9";  // two bytes each: cuts must not split one
  long_name += " lane";
  const Parsed p = ParseOk(render_timeline_svg("cut", {long_name}, {Op("op", long_name, 0, 0, 1)}));
  const auto labels = Find(p, "text", "row-label");
  ASSERT_EQ(labels.size(), 1u);
  const std::string& label = labels[0]->text;
  EXPECT_LT(label.size(), long_name.size());
  EXPECT_EQ(label.substr(label.size() - 3), "\u2026");
  EXPECT_EQ(long_name.substr(0, label.size() - 3), label.substr(0, label.size() - 3));
  EXPECT_EQ((label.size() - 3) % 2, 0u) << "whole code points only";
  EXPECT_EQ(Find(p, "g", "row")[0]->attrs.at("data-row"), long_name) << "the full name stays";
  const double plot_left = Attr(*Find(p, "text", "tick").at(0), "x");
  const auto code_points = std::count_if(label.begin(), label.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  EXPECT_LT(0.5 * 12 * static_cast<double>(code_points), plot_left) << "the cut label fits";
}

}  // namespace
}  // namespace ndflow_test
