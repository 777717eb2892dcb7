// DICOM through GDCM: gdcm::Reader parses each header (up to the pixel data, so that a series
// is sorted, checked and its voxel count limited before any pixel is read), and
// gdcm::ImageReader decodes the pixel data (GDCM picks the codec from the transfer syntax).
// fbd reads the geometry tags itself (ImagePositionPatient, ImageOrientationPatient,
// PixelSpacing, the rescale, the functional groups of multi-frame files) as the standard
// writes them, so that every refusal is one line in fbd's words, and GDCM's own guesses
// (a spacing of 1 where none is given, say) never creep in.
#include "data/dicom.h"

#include <fcntl.h>
#include <gdcmDataElement.h>
#include <gdcmDataSet.h>
#include <gdcmFile.h>
#include <gdcmImage.h>
#include <gdcmImageHelper.h>
#include <gdcmImageReader.h>
#include <gdcmPixelFormat.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmTag.h>
#include <gdcmTrace.h>
#include <gdcmTransferSyntax.h>
#include <gdcmUIDs.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
#include "data/nifti.h"

namespace fbd::data {

namespace {

namespace fs = std::filesystem;
using Vec3 = std::array<double, 3>;

// GDCM writes its debug, warning and error messages to std::cerr; fbd reports failures
// itself, so turn them off once, before the first call into the library.
void quiet_library() {
  static const bool once = [] {
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarning(false);
    gdcm::Trace::SetError(false);
    return true;
  }();
  (void)once;
}

// Tags fbd reads.
const gdcm::Tag kTransferSyntax(0x0002, 0x0010);
const gdcm::Tag kMediaStorageSOPClassUID(0x0002, 0x0002);
const gdcm::Tag kSOPClassUID(0x0008, 0x0016);
const gdcm::Tag kAcquisitionTime(0x0008, 0x0032);
const gdcm::Tag kModality(0x0008, 0x0060);
const gdcm::Tag kSeriesDescription(0x0008, 0x103E);
const gdcm::Tag kSliceThickness(0x0018, 0x0050);
const gdcm::Tag kSpacingBetweenSlices(0x0018, 0x0088);
const gdcm::Tag kTriggerTime(0x0018, 0x1060);
const gdcm::Tag kSeriesInstanceUID(0x0020, 0x000E);
const gdcm::Tag kAcquisitionNumber(0x0020, 0x0012);
const gdcm::Tag kInstanceNumber(0x0020, 0x0013);
const gdcm::Tag kImagePositionPatient(0x0020, 0x0032);
const gdcm::Tag kImageOrientationPatient(0x0020, 0x0037);
const gdcm::Tag kTemporalPositionIdentifier(0x0020, 0x0100);
const gdcm::Tag kFrameContentSequence(0x0020, 0x9111);
const gdcm::Tag kPlanePositionSequence(0x0020, 0x9113);
const gdcm::Tag kPlaneOrientationSequence(0x0020, 0x9116);
const gdcm::Tag kTemporalPositionIndex(0x0020, 0x9128);
const gdcm::Tag kSamplesPerPixel(0x0028, 0x0002);
const gdcm::Tag kPhotometricInterpretation(0x0028, 0x0004);
const gdcm::Tag kNumberOfFrames(0x0028, 0x0008);
const gdcm::Tag kPixelSpacing(0x0028, 0x0030);
const gdcm::Tag kRescaleIntercept(0x0028, 0x1052);
const gdcm::Tag kRescaleSlope(0x0028, 0x1053);
const gdcm::Tag kPixelMeasuresSequence(0x0028, 0x9110);
const gdcm::Tag kPixelValueTransformationSequence(0x0028, 0x9145);
const gdcm::Tag kSharedFunctionalGroups(0x5200, 0x9229);
const gdcm::Tag kPerFrameFunctionalGroups(0x5200, 0x9230);
const gdcm::Tag kPixelData(0x7FE0, 0x0010);

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

// A text value (UI, CS, LO, DS, IS...) without its padding; "" when absent or empty.
std::string text(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  if (!ds.FindDataElement(tag)) return "";
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  if (!bv || !bv->GetPointer()) return "";
  std::string s(bv->GetPointer(), bv->GetLength());
  const size_t end = s.find_last_not_of(std::string(" \0", 2));
  if (end == std::string::npos) return "";
  s.erase(end + 1);
  return s.substr(std::min(s.find_first_not_of(' '), s.size()));
}

// A multi-valued decimal string (DS, IS) as numbers; nullopt when absent or empty. A value that
// is not a number, or the wrong count, is an error naming the tag and the file.
std::optional<std::vector<double>> numbers(const gdcm::DataSet& ds, const gdcm::Tag& tag, const char* name,
                                           size_t count, const std::string& path) {
  const std::string s = text(ds, tag);
  if (s.empty()) return std::nullopt;
  std::vector<double> v;
  std::stringstream parts(s);
  for (std::string part; std::getline(parts, part, '\\');) {
    const char* b = part.c_str();
    while (*b == ' ') ++b;
    char* end = nullptr;
    errno = 0;
    const double x = std::strtod(b, &end);
    while (end && *end == ' ') ++end;
    FBD_CHECK(end != b && end && *end == '\0' && errno == 0 && std::isfinite(x), path, ": ", name, " \"", one_line(s),
              "\" is not a list of numbers");
    v.push_back(x);
  }
  FBD_CHECK(count == 0 || v.size() == count, path, ": ", name, " \"", one_line(s), "\" has ", v.size(), " values, not ",
            count);
  return v;
}

// The nested data sets of a sequence (copies: GDCM may build the sequence on the fly, for
// implicit VR, and free it when its smart pointer goes).
std::vector<gdcm::DataSet> items(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  std::vector<gdcm::DataSet> out;
  if (!ds.FindDataElement(tag)) return out;
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = ds.GetDataElement(tag).GetValueAsSQ();
  if (!sq) return out;
  for (gdcm::SequenceOfItems::SizeType i = 1; i <= sq->GetNumberOfItems(); ++i)
    out.push_back(sq->GetItem(i).GetNestedDataSet());
  return out;
}

std::string ts_name(const std::string& uid) {
  gdcm::UIDs u;
  if (!uid.empty() && u.SetFromUID(uid.c_str()) && u.GetName()) return std::string(u.GetName()) + " (" + uid + ")";
  return uid.empty() ? std::string("(none given)") : uid;
}

// Transfer syntaxes this GDCM build has no decoder for (video, JPIP) or does not know at all.
bool undecodable(const std::string& uid) {
  const gdcm::TransferSyntax::TSType t = gdcm::TransferSyntax::GetTSType(uid.c_str());
  switch (t) {
    case gdcm::TransferSyntax::MPEG2MainProfile:
    case gdcm::TransferSyntax::MPEG2MainProfileHighLevel:
    case gdcm::TransferSyntax::MPEG4AVCH264HighProfileLevel4_1:
    case gdcm::TransferSyntax::MPEG4AVCH264BDcompatibleHighProfileLevel4_1:
    case gdcm::TransferSyntax::JPIPReferenced:
    case gdcm::TransferSyntax::TS_END: return true;
    default: return false;
  }
}

// One frame's place: the file and frame it is stored in, its position and its rescale.
// Where a frame falls in time, for a 4-D series (several frames at each position: DCE phases):
// the frames at one position are ordered by these keys in turn, an absent key counting as
// -infinity. TemporalPositionIdentifier (or an Enhanced MR frame's TemporalPositionIndex) is
// the standard's phase number; scanners that leave it out give AcquisitionNumber, TriggerTime
// or AcquisitionTime; InstanceNumber breaks ties.
constexpr size_t kTimeKeys = 5;
using TimeKey = std::array<double, kTimeKeys>;

struct Frame {
  size_t file = 0;  // index into the series' headers
  unsigned frame = 0;
  Vec3 ipp{};
  double slope = 1, inter = 0;
  double pos = 0;  // along the slice normal
  TimeKey time{};  // temporal position, acquisition number, trigger time, acquisition time, instance
};

// One number of a data set for a time key: the first value (a TM such as 101530.25 reads as a
// number), or -infinity when absent or not a number: ordering keys are never an error.
double key_value(const gdcm::DataSet& ds, const gdcm::Tag& tag) {
  const std::string s = text(ds, tag);
  const char* b = s.c_str();
  char* end = nullptr;
  const double x = std::strtod(b, &end);
  const bool ok = end != b && (*end == '\0' || *end == '\\' || *end == ' ') && std::isfinite(x);
  return ok ? x : -std::numeric_limits<double>::infinity();
}

TimeKey time_key(const gdcm::DataSet& ds) {
  return {key_value(ds, kTemporalPositionIdentifier), key_value(ds, kAcquisitionNumber), key_value(ds, kTriggerTime),
          key_value(ds, kAcquisitionTime), key_value(ds, kInstanceNumber)};
}

// What fbd needs of one file, from its header alone.
struct Header {
  std::string path;
  std::string uid, description, modality, ts_uid, photometric;
  unsigned columns = 0, rows = 0, frames = 1;
  unsigned samples = 1;
  std::optional<std::vector<double>> iop, pixel_spacing;  // per file (shared for multi-frame)
  double thickness = 0, spacing_between = 0;
  std::vector<Frame> frame_info;  // a single frame, or each frame of a multi-frame file
  bool functional_groups = false;
};

double positive_or_zero(const std::optional<std::vector<double>>& v) {
  return v && !v->empty() && (*v)[0] > 0 ? (*v)[0] : 0.0;
}

// Rescale from a data set holding RescaleSlope / RescaleIntercept (absent: 1 and 0).
void read_rescale(const gdcm::DataSet& ds, const std::string& path, double& slope, double& inter) {
  if (auto s = numbers(ds, kRescaleSlope, "RescaleSlope", 1, path)) slope = (*s)[0];
  // GDCM asserts on a zero slope, and on an intercept without a slope, which it then takes as 0
  // (both found by fuzzing); the standard has the two together.
  FBD_CHECK(slope != 0, path, ": RescaleSlope is 0");
  FBD_CHECK(ds.FindDataElement(kRescaleSlope) == ds.FindDataElement(kRescaleIntercept), path,
            ": RescaleIntercept without RescaleSlope, or the other way round");
  if (auto i = numbers(ds, kRescaleIntercept, "RescaleIntercept", 1, path)) inter = (*i)[0];
}

// The first item of functional group macro `seq` for a frame: in its per-frame item, else in
// the shared item.
const gdcm::DataSet* macro(const std::vector<gdcm::DataSet>& per_frame_seq,
                           const std::vector<gdcm::DataSet>& shared_seq) {
  if (!per_frame_seq.empty()) return &per_frame_seq.front();
  if (!shared_seq.empty()) return &shared_seq.front();
  return nullptr;
}

// --- a structural check before GDCM sees a file ---------------------------------------------
//
// Debian's GDCM is built with its assertions on, and aborts the process on many truncated
// files (a file meta group or an element header cut short); where it does not, it zero-fills a
// pixel data element cut short and reports success. So fbd walks each file's elements first
// (their headers only: tag, VR, length; values are skipped by seeking) and refuses any element,
// item or fragment that runs past the end of the file. The walk knows the three uncompressed
// encodings; a deflated data set is left to GDCM (zlib reports its own truncation).
class StructureCheck {
 public:
  explicit StructureCheck(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "rb");
    FBD_CHECK(f_, path, ": cannot open (", std::strerror(errno), ")");
    std::fseek(f_, 0, SEEK_END);
    size_ = static_cast<uint64_t>(::ftello(f_));
  }
  ~StructureCheck() { std::fclose(f_); }
  StructureCheck(const StructureCheck&) = delete;
  StructureCheck& operator=(const StructureCheck&) = delete;

  void run() {
    pos_ = 132;  // after the preamble and "DICM"
    std::string ts;
    // File meta information: always explicit VR little endian.
    little_ = true;
    explicit_ = true;
    while (pos_ < size_) {
      const uint64_t at = pos_;
      const uint16_t group = u16();
      if (group != 0x0002) {
        pos_ = at;
        break;
      }
      const uint16_t element = u16();
      const uint32_t len = value_length();
      FBD_CHECK(len != kUndefined, path_, ": corrupt file meta information (an undefined length)");
      // GDCM asserts on a sequence in the file meta information (found by fuzzing).
      FBD_CHECK(!(vr_[0] == 'S' && vr_[1] == 'Q'), path_, ": corrupt file meta information (a sequence)");
      need(len, "file meta information");
      if (element == 0x0010) ts = value_text(len);
      pos_ += len;
    }
    while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
    FBD_CHECK(!ts.empty(), path_,
              ": truncated or corrupt DICOM file (no TransferSyntaxUID in its file meta information)");
    FBD_CHECK(pos_ < size_, path_, ": truncated or corrupt DICOM file (nothing after its file meta information)");
    if (ts == "1.2.840.10008.1.2.1.99") {
      // Deflated explicit VR little endian: GDCM inflates the data set as it parses and
      // asserts where the inflated stream ends early, so fbd inflates it first and walks that.
      inflate_rest();
      explicit_ = true;
      little_ = true;
      elements(size_, false, 0);
      return;
    }
    explicit_ = ts != "1.2.840.10008.1.2" && ts != "1.2.840.113619.5.2";
    jpeg2000_ = ts.rfind("1.2.840.10008.1.2.4.9", 0) == 0;  // .90 to .93
    rle_ = ts == "1.2.840.10008.1.2.5";
    little_ = ts != "1.2.840.10008.1.2.2";
    elements(size_, false, 0);
  }

 private:
  static constexpr uint32_t kUndefined = 0xFFFFFFFFu;

  [[noreturn]] void truncated(const char* where) {
    FBD_FAIL(path_, ": truncated or corrupt DICOM file (", where, " runs past the end of the file at byte ", pos_,
             " of ", size_, ")");
  }
  void need(uint64_t n, const char* where) {
    if (pos_ + n > size_) truncated(where);
  }
  void read(void* p, size_t n) {
    need(n, "an element header");
    if (memory_) {
      std::memcpy(p, inflated_.data() + pos_, n);
      pos_ += n;
      return;
    }
    FBD_CHECK(::fseeko(f_, static_cast<off_t>(pos_), SEEK_SET) == 0 && std::fread(p, 1, n, f_) == n, path_,
              ": read failed at byte ", pos_);
    pos_ += n;
  }
  uint16_t u16() {
    unsigned char b[2];
    read(b, 2);
    return little_ ? uint16_t(b[0] | b[1] << 8) : uint16_t(b[1] | b[0] << 8);
  }
  uint32_t u32() {
    unsigned char b[4];
    read(b, 4);
    return little_ ? uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24
                   : uint32_t(b[3]) | uint32_t(b[2]) << 8 | uint32_t(b[1]) << 16 | uint32_t(b[0]) << 24;
  }
  std::string value_text(uint32_t len) {
    std::string s(std::min<uint32_t>(len, 64), '\0');
    read(s.data(), s.size());
    pos_ -= s.size();
    return s;
  }
  // The length field after a tag (explicit VR: the VR first; vr_ keeps it).
  uint32_t value_length() {
    if (!explicit_) {
      vr_[0] = vr_[1] = 0;
      return u32();
    }
    read(vr_, 2);
    // Only the standard's VRs: GDCM reads an element with an unknown VR as implicit, taking the
    // VR and its 2-byte length as one 4-byte length, and allocates that much before it finds
    // the file too short (a one-bit change in a VR made it allocate 1.6 GB: tests/fuzz).
    static const char* known_vrs[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT",
                                      "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST",
                                      "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV"};
    bool known = false;
    for (const char* k : known_vrs) known = known || (vr_[0] == k[0] && vr_[1] == k[1]);
    FBD_CHECK(known, path_, ": truncated or corrupt DICOM file (no valid value representation at byte ", pos_ - 2,
              ")");
    static const char* long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (const char* l : long_vrs)
      if (vr_[0] == l[0] && vr_[1] == l[1]) {
        pos_ += 2;  // reserved
        return u32();
      }
    return u16();
  }
  // GDCM reads the image module's elements through typed attributes that assert (and abort the
  // process) when an explicit VR differs from the dictionary's (found by fuzzing: Rows, Columns
  // and ImagePositionPatient with other VRs). fbd refuses those first, for every element GDCM
  // or fbd reads as a number.
  void check_vr(uint16_t group, uint16_t element) {
    struct Expected {
      uint16_t group, element;
      char vr[3];
    };
    static const Expected table[] = {
        {0x0008, 0x0016, "UI"}, {0x0008, 0x0060, "CS"}, {0x0018, 0x0050, "DS"}, {0x0018, 0x0088, "DS"},
        {0x0018, 0x1164, "DS"}, {0x0020, 0x0032, "DS"}, {0x0020, 0x0037, "DS"}, {0x0028, 0x0002, "US"},
        {0x0028, 0x0004, "CS"}, {0x0028, 0x0006, "US"}, {0x0028, 0x0008, "IS"}, {0x0028, 0x0009, "AT"},
        {0x0028, 0x0010, "US"}, {0x0028, 0x0011, "US"}, {0x0028, 0x0030, "DS"}, {0x0028, 0x0034, "IS"},
        {0x0028, 0x0100, "US"}, {0x0028, 0x0101, "US"}, {0x0028, 0x0102, "US"}, {0x0028, 0x0103, "US"},
        {0x0028, 0x1050, "DS"}, {0x0028, 0x1051, "DS"}, {0x0028, 0x1052, "DS"}, {0x0028, 0x1053, "DS"},
        {0x3004, 0x000C, "DS"}};
    for (const Expected& e : table)
      if (e.group == group && e.element == element) {
        FBD_CHECK(vr_[0] == e.vr[0] && vr_[1] == e.vr[1], path_, ": corrupt DICOM file (element (", hex4(group), ",",
                  hex4(element), ") has VR ", std::string(vr_, 2), ", not ", e.vr, ")");
        return;
      }
  }
  static std::string hex4(uint16_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "%04X", unsigned(v));
    return b;
  }

  // Elements until `end` (a defined length) or, when `until_delimiter`, an item delimiter.
  void elements(uint64_t end, bool until_delimiter, int depth) {
    FBD_CHECK(depth < 64, path_, ": corrupt DICOM file (sequences nested more than 64 deep)");
    while (until_delimiter || pos_ < end) {
      const uint16_t group = u16(), element = u16();
      if (group == 0xFFFE) {  // a delimiter: its length is 4 bytes, no VR
        u32();
        if (element == 0xE00D && until_delimiter) return;
        FBD_FAIL(path_, ": corrupt DICOM file (a stray delimiter (FFFE,", std::hex, element, ") at byte ", std::dec,
                 pos_ - 8, ")");
      }
      const uint32_t len = value_length();
      if (explicit_) check_vr(group, element);
      if (len == kUndefined && explicit_) {
        // Only a sequence (SQ, or UN holding one) or encapsulated pixel data (OB/OW) may have an
        // undefined length; GDCM asserts that (and aborts the process) on anything else.
        const bool sq = vr_[0] == 'S' && vr_[1] == 'Q', un = vr_[0] == 'U' && vr_[1] == 'N';
        const bool pixels = group == 0x7FE0 && element == 0x0010 && vr_[0] == 'O' && (vr_[1] == 'B' || vr_[1] == 'W');
        FBD_CHECK(sq || un || pixels, path_, ": truncated or corrupt DICOM file (an undefined length with VR ",
                  std::string(vr_, 2), " at byte ", pos_ - 12, ")");
      }
      if (len == kUndefined) {
        // A sequence (SQ, or UN / implicit VR holding one) or encapsulated pixel data.
        const bool was_explicit = explicit_;
        if (vr_[0] == 'U' && vr_[1] == 'N') explicit_ = false;  // UN of undefined length: implicit VR inside
        items(depth, group == 0x7FE0 && element == 0x0010 && depth == 0);
        explicit_ = was_explicit;
      } else {
        need(len, group == 0x7FE0 ? "the pixel data" : "an element's value");
        // GDCM parses the items of a sequence of defined length too: walk them. A sequence is
        // VR SQ, or (implicit VR, or UN) a value that opens with an item tag.
        const bool sq = explicit_ && vr_[0] == 'S' && vr_[1] == 'Q';
        const bool maybe = (!explicit_ || (vr_[0] == 'U' && vr_[1] == 'N')) && len >= 8 && opens_item();
        if (sq || maybe) {
          const bool was_explicit = explicit_;
          if (maybe) explicit_ = false;
          defined_items(pos_ + len, depth);
          explicit_ = was_explicit;
        } else {
          pos_ += len;
        }
      }
      if (!until_delimiter && pos_ > end) truncated("an item");
    }
  }
  // True when an item tag (FFFE,E000) comes next; reads nothing.
  bool opens_item() {
    const uint64_t at = pos_;
    const uint16_t group = u16(), element = u16();
    pos_ = at;
    return group == 0xFFFE && element == 0xE000;
  }
  // The items of a sequence of defined length, which ends at `end`.
  void defined_items(uint64_t end, int depth) {
    FBD_CHECK(depth < 64, path_, ": corrupt DICOM file (sequences nested more than 64 deep)");
    while (pos_ < end) {
      const uint16_t group = u16(), element = u16();
      const uint32_t len = u32();
      FBD_CHECK(group == 0xFFFE && element == 0xE000, path_,
                ": truncated or corrupt DICOM file (no item where a sequence continues, at byte ", pos_ - 8, ")");
      if (len == kUndefined) {
        elements(0, true, depth + 1);
      } else {
        need(len, "an item");
        FBD_CHECK(pos_ + len <= end, path_,
                  ": truncated or corrupt DICOM file (an item runs past the end of its "
                  "sequence at byte ",
                  pos_ - 8, ")");
        elements(pos_ + len, false, depth + 1);
      }
    }
    FBD_CHECK(pos_ == end, path_, ": truncated or corrupt DICOM file (a sequence's items run past its length)");
  }
  // Items until the sequence delimiter.
  // Items until the sequence delimiter; `pixel_fragments`: the fragments of encapsulated pixel
  // data (the first is the offset table), whose JPEG 2000 headers are checked.
  void items(int depth, bool pixel_fragments = false) {
    for (int index = 0;; ++index) {
      const uint16_t group = u16(), element = u16();
      const uint32_t len = u32();
      FBD_CHECK(group == 0xFFFE && (element == 0xE000 || element == 0xE0DD), path_,
                ": truncated or corrupt DICOM file (no item where a sequence or fragment continues, at byte ", pos_ - 8,
                ")");
      // GDCM reads a fragment sequence's delimiter as a fragment, allocating its length (4 GB
      // for a corrupt one: found by fuzzing); the standard's length is 0.
      if (element == 0xE0DD) {
        FBD_CHECK(len == 0, path_, ": truncated or corrupt DICOM file (a sequence delimiter of length ", len,
                  " at byte ", pos_ - 8, ")");
        return;
      }
      if (len == kUndefined) {
        FBD_CHECK(!pixel_fragments, path_,
                  ": truncated or corrupt DICOM file (a pixel data fragment of undefined "
                  "length at byte ",
                  pos_ - 8, ")");
        elements(0, true, depth + 1);
      } else {
        need(len, "an item or fragment");
        if (pixel_fragments && (jpeg2000_ || rle_) && index > 0 && len > 0) {
          std::vector<unsigned char> fragment(len);
          read(fragment.data(), len);
          if (jpeg2000_)
            check_jpeg2000(fragment, index == 1);
          else
            check_rle(fragment);
        } else {
          pos_ += len;
        }
      }
    }
  }

  // An RLE frame (PS3.5 G.3): a 64-byte header of 1-15 segment offsets, the first 64, rising,
  // each inside the fragment. GDCM's decoder trusts them (it read past the buffer on an offset
  // beyond it: found by fuzzing).
  void check_rle(const std::vector<unsigned char>& b) {
    auto le32 = [&](size_t i) {
      return uint32_t(b[i]) | uint32_t(b[i + 1]) << 8 | uint32_t(b[i + 2]) << 16 | uint32_t(b[i + 3]) << 24;
    };
    FBD_CHECK(b.size() >= 64, path_, ": corrupt RLE pixel data (a frame of ", b.size(),
              " bytes, shorter than its header)");
    const uint32_t segments = le32(0);
    FBD_CHECK(segments >= 1 && segments <= 15, path_, ": corrupt RLE pixel data (", segments, " segments; 1 to 15)");
    FBD_CHECK(le32(4) == 64, path_, ": corrupt RLE pixel data (the first segment does not start after the header)");
    for (uint32_t k = 1; k < segments; ++k)
      FBD_CHECK(le32(4 + 4 * k) > le32(4 * k) && le32(4 + 4 * k) < b.size(), path_,
                ": corrupt RLE pixel data (segment ", k + 1, " starts at ", le32(4 + 4 * k), " in a frame of ",
                b.size(), " bytes)");
  }

  // GDCM reads a JPEG 2000 stream's main header itself before OpenJPEG decodes it, trusting each
  // marker segment's length (it reads past the buffer on one longer than the stream: found by
  // fuzzing). So fbd walks the same markers, from SOC to SOD, and refuses a segment that runs
  // past the fragment. A JP2-wrapped stream (a signature box first) is walked box by box to its
  // codestream box. Fragments after the first that do not open with SOC continue a frame.
  void check_jpeg2000(const std::vector<unsigned char>& b, bool first) {
    const size_t n = b.size();
    auto be16 = [&](size_t i) { return unsigned(b[i]) << 8 | unsigned(b[i + 1]); };
    auto be32 = [&](size_t i) { return uint64_t(be16(i)) << 16 | be16(i + 2); };
    auto corrupt = [&](const char* what) { FBD_FAIL(path_, ": corrupt JPEG 2000 pixel data (", what, ")"); };
    size_t at = 0, end = n;
    if (n >= 8 && be32(4) == 0x6A502020) {  // JP2: boxes of (length, type), to the "jp2c" box
      bool found = false;
      while (at + 8 <= n && !found) {
        uint64_t len = be32(at);
        const uint64_t type = be32(at + 4);
        size_t header = 8;
        if (len == 1) {
          if (at + 16 > n) corrupt("a JP2 box header runs past the fragment");
          len = be32(at + 8) << 32 | be32(at + 12);
          header = 16;
        } else if (len == 0) {
          len = n - at;
        }
        if (len < header || len > n - at) corrupt("a JP2 box runs past the fragment");
        if (type == 0x6A703263) {  // jp2c
          found = true;
          end = at + size_t(len);
        }
        at += found ? header : size_t(len);
      }
      if (!found) corrupt("a JP2 file without a codestream box");
    } else if (!(n >= 2 && be16(0) == 0xFF4F)) {
      if (first) corrupt("the first fragment does not open with a codestream's SOC marker");
      return;
    }
    // Marker segments from SOC to SOD (no length: SOC, SOD, EOC, EPH and FF30-FF3F).
    while (at + 2 <= end) {
      const unsigned marker = be16(at);
      at += 2;
      if (marker == 0xFF93) return;  // SOD: the header is over
      const bool no_length =
          marker == 0xFF4F || marker == 0xFFD9 || marker == 0xFF92 || (marker >= 0xFF30 && marker <= 0xFF3F);
      if (no_length) continue;
      if (at + 2 > end) corrupt("a marker segment's length runs past the fragment");
      const unsigned len = be16(at);
      at += 2;
      if (len < 2) return;  // GDCM stops here too
      if (marker == 0xFF52 && at + 10 > end) corrupt("a COD marker segment shorter than its fields");
      if (len - 2 > end - at) corrupt("a marker segment runs past the fragment");
      at += len - 2;
    }
  }

  // Inflates the file from pos_ to its end (a raw deflate stream, no zlib header) into
  // inflated_, which the walk then reads instead of the file (positions count from its start).
  void inflate_rest() {
    constexpr size_t kMaxInflated = size_t(512) << 20;  // far above any deflated MR data set
    std::vector<unsigned char> in(size_ - pos_);
    read(in.data(), in.size());
    z_stream z{};
    FBD_CHECK(inflateInit2(&z, -MAX_WBITS) == Z_OK, path_, ": cannot start inflating the deflated data set");
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(in.size());
    int rc = Z_OK;
    unsigned char chunk[1 << 16];
    while (rc == Z_OK) {
      z.next_out = chunk;
      z.avail_out = sizeof chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      const size_t got = sizeof chunk - z.avail_out;
      if (inflated_.size() + got > kMaxInflated) {
        rc = Z_MEM_ERROR;
        break;
      }
      inflated_.insert(inflated_.end(), chunk, chunk + got);
      if (rc == Z_BUF_ERROR && z.avail_in == 0) break;  // the input ended before the stream did
    }
    inflateEnd(&z);
    FBD_CHECK(rc == Z_STREAM_END, path_, ": truncated or corrupt DICOM file (its deflated data set ",
              rc == Z_MEM_ERROR ? "inflates past 512 MiB" : "does not inflate to its end", ")");
    memory_ = true;
    pos_ = 0;
    size_ = inflated_.size();
  }

  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t size_ = 0, pos_ = 0;
  bool little_ = true, explicit_ = true;
  char vr_[2] = {0, 0};
  bool memory_ = false;    // reading inflated_, not the file
  bool jpeg2000_ = false;  // the transfer syntax is JPEG 2000 (Part 1 or 2)
  bool rle_ = false;       // RLE lossless
  std::vector<unsigned char> inflated_;
};

void check_structure(const std::string& path) {
  FBD_CHECK(is_dicom_file(path), path, ": not a DICOM file (no \"DICM\" at byte 128; fbd reads DICOM Part 10 files)");
  StructureCheck(path).run();
}

// Parses the header of `path` (up to the pixel data).
Header read_header(const std::string& path, bool geometry) {
  quiet_library();
  check_structure(path);
  Header h;
  h.path = path;
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  bool ok = false;
  try {
    ok = reader.ReadUpToTag(kPixelData, std::set<gdcm::Tag>());
  } catch (const std::exception& e) {
    FBD_FAIL(path, ": truncated or corrupt DICOM file (GDCM: ", one_line(e.what()), ")");
  }
  FBD_CHECK(ok, path, ": truncated or corrupt DICOM file (GDCM cannot parse its header)");
  const gdcm::File& file = reader.GetFile();
  const gdcm::DataSet& ds = file.GetDataSet();
  h.uid = text(ds, kSeriesInstanceUID);
  h.description = text(ds, kSeriesDescription);
  h.modality = text(ds, kModality);
  h.ts_uid = text(file.GetHeader(), kTransferSyntax);
  if (h.ts_uid.empty()) {
    const char* ts = file.GetHeader().GetDataSetTransferSyntax().GetString();
    h.ts_uid = ts ? ts : "";
  }
  if (!geometry) return h;
  // RT objects (dose grids, structure sets, plans) are not image series, and GDCM's spacing code
  // aborts the process on some of them (pydicom's rtdose_1frame.dcm: an assertion in
  // ImageHelper::GetSpacingValue): refuse them before GDCM reads their pixels.
  FBD_CHECK(h.modality.rfind("RT", 0) != 0, path, ": modality ", h.modality,
            " (a radiotherapy object), not an image series: fbd reads MR and CT image series");
  // The SOP class decides GDCM's spacing code whatever the modality says (found by fuzzing: an
  // RT Dose file with its Modality changed reached the same assertion).
  for (const std::string& sop : {text(file.GetHeader(), kMediaStorageSOPClassUID), text(ds, kSOPClassUID)})
    FBD_CHECK(sop.rfind("1.2.840.10008.5.1.4.1.1.481.", 0) != 0, path, ": SOP class ", sop,
              " (a radiotherapy object), not an image series: fbd reads MR and CT image series");

  FBD_CHECK(ds.FindDataElement(kPixelData), path, ": no pixel data (not an image, ",
            h.modality.empty() ? std::string("no modality") : "modality " + h.modality, ", or a truncated file)");
  FBD_CHECK(!undecodable(h.ts_uid), path, ": transfer syntax ", ts_name(h.ts_uid),
            " cannot be decoded by GDCM (fbd reads uncompressed, deflate, RLE, JPEG, JPEG-LS and JPEG 2000)");
  const std::vector<unsigned> dims = gdcm::ImageHelper::GetDimensionsValue(file);
  FBD_CHECK(dims.size() >= 2 && dims[0] > 0 && dims[1] > 0, path, ": no Rows or Columns");
  h.columns = dims[0];
  h.rows = dims[1];
  h.frames = dims.size() >= 3 && dims[2] > 0 ? dims[2] : 1;
  if (auto nf = numbers(ds, kNumberOfFrames, "NumberOfFrames", 1, path)) {
    FBD_CHECK(*nf == std::vector<double>{std::floor((*nf)[0])} && (*nf)[0] >= 1, path, ": bad NumberOfFrames");
    h.frames = static_cast<unsigned>((*nf)[0]);
  }
  // SamplesPerPixel is checked before GDCM's pixel format code sees it: GDCM asserts on values
  // above 4 (found by fuzzing). GDCM has already swapped a big-endian file's values to the
  // machine's (little-endian) order (tested on pydicom's MR_small_bigendian.dcm).
  if (ds.FindDataElement(kSamplesPerPixel)) {
    const gdcm::ByteValue* bv = ds.GetDataElement(kSamplesPerPixel).GetByteValue();
    FBD_CHECK(bv && bv->GetLength() == 2 && bv->GetPointer(), path, ": bad SamplesPerPixel (not one 2-byte value)");
    const auto* b = reinterpret_cast<const unsigned char*>(bv->GetPointer());
    const unsigned little = unsigned(b[0]) | unsigned(b[1]) << 8;
    const std::string photometric = text(ds, kPhotometricInterpretation);
    const unsigned spp = little;
    FBD_CHECK(spp == 1, path, ": a colour image (PhotometricInterpretation ",
              photometric.empty() ? "none" : photometric, ", ", spp,
              " sample(s) per pixel): fbd reads grey (MONOCHROME) MR images only");
  }
  const gdcm::PixelFormat pf = gdcm::ImageHelper::GetPixelFormatValue(file);
  h.samples = pf.GetSamplesPerPixel();
  h.photometric = text(ds, kPhotometricInterpretation);
  FBD_CHECK(h.samples == 1 && (h.photometric.empty() || h.photometric.rfind("MONOCHROME", 0) == 0), path,
            ": a colour image (PhotometricInterpretation ", h.photometric.empty() ? "none" : h.photometric, ", ",
            h.samples, " sample(s) per pixel): fbd reads grey (MONOCHROME) MR images only");

  h.iop = numbers(ds, kImageOrientationPatient, "ImageOrientationPatient", 6, path);
  h.pixel_spacing = numbers(ds, kPixelSpacing, "PixelSpacing", 2, path);
  h.thickness = positive_or_zero(numbers(ds, kSliceThickness, "SliceThickness", 1, path));
  h.spacing_between = positive_or_zero(numbers(ds, kSpacingBetweenSlices, "SpacingBetweenSlices", 1, path));
  double slope = 1, inter = 0;
  read_rescale(ds, path, slope, inter);
  const auto ipp = numbers(ds, kImagePositionPatient, "ImagePositionPatient", 3, path);

  const std::vector<gdcm::DataSet> per_frame = items(ds, kPerFrameFunctionalGroups);
  const std::vector<gdcm::DataSet> shared_items = items(ds, kSharedFunctionalGroups);
  h.functional_groups = !per_frame.empty();
  if (!h.functional_groups) {
    Frame f;
    f.slope = slope;
    f.inter = inter;
    if (ipp) f.ipp = {(*ipp)[0], (*ipp)[1], (*ipp)[2]};
    f.time = time_key(ds);
    FBD_CHECK(h.frames == 1, path, ": a multi-frame file (", h.frames,
              " frames) without per-frame positions (no PerFrameFunctionalGroupsSequence with "
              "PlanePositionSequence): fbd cannot place its frames");
    FBD_CHECK(ipp.has_value(), path, ": no ImagePositionPatient: fbd cannot place the image in the world");
    FBD_CHECK(h.iop.has_value(), path, ": no ImageOrientationPatient: fbd cannot place the image in the world");
    FBD_CHECK(h.pixel_spacing.has_value(), path, ": no PixelSpacing (0028,0030): fbd needs the in-plane spacing");
    h.frame_info.push_back(f);
    return h;
  }

  // Enhanced multi-frame: each frame's macros in its per-frame item, else in the shared item.
  FBD_CHECK(per_frame.size() == h.frames, path, ": PerFrameFunctionalGroupsSequence has ", per_frame.size(),
            " items for ", h.frames, " frames");
  const gdcm::DataSet empty;
  const gdcm::DataSet& shared = shared_items.empty() ? empty : shared_items.front();
  const auto shared_orient = items(shared, kPlaneOrientationSequence);
  const auto shared_measures = items(shared, kPixelMeasuresSequence);
  const auto shared_position = items(shared, kPlanePositionSequence);
  const auto shared_rescale = items(shared, kPixelValueTransformationSequence);
  for (unsigned k = 0; k < h.frames; ++k) {
    const gdcm::DataSet& item = per_frame[k];
    Frame f;
    f.frame = k;
    const std::string where = " (frame " + std::to_string(k + 1) + ")";
    const auto orient_items = items(item, kPlaneOrientationSequence);
    const auto measure_items = items(item, kPixelMeasuresSequence);
    const auto position_items = items(item, kPlanePositionSequence);
    const auto rescale_items = items(item, kPixelValueTransformationSequence);
    const gdcm::DataSet* o = macro(orient_items, shared_orient);
    const gdcm::DataSet* m = macro(measure_items, shared_measures);
    const gdcm::DataSet* p = macro(position_items, shared_position);
    const gdcm::DataSet* r = macro(rescale_items, shared_rescale);
    const auto fipp = p ? numbers(*p, kImagePositionPatient, "ImagePositionPatient", 3, path) : std::nullopt;
    FBD_CHECK(fipp.has_value(), path, ": a multi-frame file without a position for frame ", k + 1,
              " (no PlanePositionSequence with ImagePositionPatient in its functional groups): fbd cannot place its "
              "frames");
    f.ipp = {(*fipp)[0], (*fipp)[1], (*fipp)[2]};
    const auto fiop = o ? numbers(*o, kImageOrientationPatient, "ImageOrientationPatient", 6, path) : std::nullopt;
    const auto fps = m ? numbers(*m, kPixelSpacing, "PixelSpacing", 2, path) : std::nullopt;
    FBD_CHECK(fiop || h.iop, path, where, ": no ImageOrientationPatient: fbd cannot place the frame in the world");
    FBD_CHECK(fps || h.pixel_spacing, path, where, ": no PixelSpacing (0028,0030): fbd needs the in-plane spacing");
    const auto& use_iop = fiop ? fiop : h.iop;
    const auto& use_ps = fps ? fps : h.pixel_spacing;
    if (k == 0) {
      h.iop = use_iop;
      h.pixel_spacing = use_ps;
      if (m) {
        const double t = positive_or_zero(numbers(*m, kSliceThickness, "SliceThickness", 1, path));
        if (t > 0) h.thickness = t;
      }
    } else {
      for (int i = 0; i < 6; ++i)
        FBD_CHECK(std::fabs((*use_iop)[size_t(i)] - (*h.iop)[size_t(i)]) < 1e-4, path, where,
                  ": frames with different orientations: fbd reads one 3-D volume");
      for (int i = 0; i < 2; ++i)
        FBD_CHECK(std::fabs((*use_ps)[size_t(i)] - (*h.pixel_spacing)[size_t(i)]) < 1e-4, path, where,
                  ": frames with different PixelSpacing: fbd reads one 3-D volume");
    }
    f.slope = slope;
    f.inter = inter;
    if (r) read_rescale(*r, path, f.slope, f.inter);
    // The frame's phase: its FrameContentSequence's TemporalPositionIndex, else the file's
    // keys; the frame number breaks ties (the frames share one InstanceNumber).
    f.time = time_key(ds);
    const auto content = items(item, kFrameContentSequence);
    if (!content.empty()) {
      const double t = key_value(content.front(), kTemporalPositionIndex);
      if (std::isfinite(t)) f.time[0] = t;
    }
    f.time[kTimeKeys - 1] = double(k);
    h.frame_info.push_back(f);
  }
  return h;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

std::string fmt(double x) {
  std::ostringstream os;
  os.precision(6);
  os << x;
  return os.str();
}

std::string series_list(const std::vector<DicomSeriesInfo>& all) {
  std::string s;
  for (const auto& i : all)
    s += (s.empty() ? "" : ", ") + (i.uid.empty() ? std::string("(no SeriesInstanceUID)") : i.uid) + " \"" +
         i.description + "\" (" + std::to_string(i.files) + (i.files == 1 ? " file)" : " files)");
  return s;
}

// The DICOM files of a folder (non-recursive), sorted by name.
std::vector<std::string> dicom_files(const std::string& folder) {
  std::error_code ec;
  FBD_CHECK(fs::is_directory(folder, ec), folder, ": not a folder");
  std::vector<std::string> files;
  fs::directory_iterator it(folder, ec);
  FBD_CHECK(!ec, folder, ": cannot list the folder (", ec.message(), ")");
  for (const auto& entry : it) {
    std::error_code e2;
    if (entry.is_regular_file(e2) && is_dicom_file(entry.path().string())) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// GDCM's JPEG codecs (IJG libjpeg 8, 12 and 16-bit) print libjpeg's messages to stderr
// whatever gdcm::Trace says, for instance when a 12-bit stream is labelled 16-bit and GDCM tries
// one decoder after another. While such a stream is decoded, fd 2 points to /dev/null (under a
// lock; anything another thread prints in those milliseconds is lost too).
bool is_jpeg(const std::string& ts_uid) {
  return ts_uid.rfind("1.2.840.10008.1.2.4.", 0) == 0 && ts_uid.size() == 22 && std::atoi(ts_uid.c_str() + 20) >= 50 &&
         std::atoi(ts_uid.c_str() + 20) <= 70;
}

class QuietStderr {
 public:
  explicit QuietStderr(bool on) {
    if (!on) return;
    lock_ = std::unique_lock<std::mutex>(mutex());
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null >= 0) ::dup2(null, 2);
    if (null >= 0) ::close(null);
  }
  ~QuietStderr() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
  }
  QuietStderr(const QuietStderr&) = delete;
  QuietStderr& operator=(const QuietStderr&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::unique_lock<std::mutex> lock_;
  int saved_ = -1;
};

template <typename T>
void convert_frame(const char* src, float* dst, size_t n, double slope, double inter) {
  T x;
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(&x, src + i * sizeof(T), sizeof(T));
    dst[i] = static_cast<float>(static_cast<double>(x) * slope + inter);
  }
}

// Decodes the pixel data of `h` and writes frame f.frame to `dst + plane * k` for each (k, f)
// of `frames_of_file`.
void read_pixels(const Header& h, const std::vector<std::pair<size_t, const Frame*>>& frames_of_file,
                 std::vector<float>& voxels) {
  const std::string& path = h.path;
  check_structure(path);  // again: the file may have changed since its header was read
  gdcm::ImageReader reader;
  reader.SetFileName(path.c_str());
  bool ok = false;
  try {
    const QuietStderr quiet(is_jpeg(h.ts_uid));  // GDCM reads the JPEG stream's header here
    ok = reader.Read();
  } catch (const std::exception& e) {
    FBD_FAIL(path, ": truncated or corrupt DICOM file (GDCM: ", one_line(e.what()), ")");
  }
  FBD_CHECK(ok, path, ": truncated or corrupt DICOM file (GDCM cannot read its image; transfer syntax ",
            ts_name(h.ts_uid), ")");
  const gdcm::Image& img = reader.GetImage();
  const gdcm::PixelFormat pf = img.GetPixelFormat();
  FBD_CHECK(pf.GetSamplesPerPixel() == 1, path, ": a colour image (", pf.GetSamplesPerPixel(),
            " samples per pixel): fbd reads grey MR images only");
  const size_t plane = size_t(h.columns) * h.rows;
  size_t bytes_per = 0;
  switch (pf.GetScalarType()) {
    case gdcm::PixelFormat::UINT8:
    case gdcm::PixelFormat::INT8: bytes_per = 1; break;
    case gdcm::PixelFormat::UINT16:
    case gdcm::PixelFormat::INT16: bytes_per = 2; break;
    case gdcm::PixelFormat::UINT32:
    case gdcm::PixelFormat::INT32:
    case gdcm::PixelFormat::FLOAT32: bytes_per = 4; break;
    case gdcm::PixelFormat::FLOAT64: bytes_per = 8; break;
    default:
      FBD_FAIL(path, ": unsupported pixel format ", pf.GetScalarTypeAsString(), " (BitsAllocated ",
               pf.GetBitsAllocated(), "): fbd reads 8, 16 and 32-bit integers and 32 and 64-bit floats");
  }
  const size_t want = plane * h.frames * bytes_per;
  const unsigned long len = img.GetBufferLength();
  FBD_CHECK(len == want, path, ": the decoded image holds ", len, " bytes, not the ", want, " of ", h.columns, " x ",
            h.rows, " x ", h.frames, " pixels: a corrupt header");
  std::vector<char> buf(len);
  bool decoded = false;
  try {
    const QuietStderr quiet(is_jpeg(h.ts_uid));
    decoded = img.GetBuffer(buf.data());
  } catch (const std::exception& e) {
    FBD_FAIL(path, ": cannot decode the pixel data (transfer syntax ", ts_name(h.ts_uid),
             "; GDCM: ", one_line(e.what()), ")");
  }
  FBD_CHECK(decoded, path, ": cannot decode the pixel data (transfer syntax ", ts_name(h.ts_uid),
            "): truncated or corrupt, or a variant this GDCM build cannot decode");
  for (const auto& [k, f] : frames_of_file) {
    const char* src = buf.data() + size_t(f->frame) * plane * bytes_per;
    float* dst = voxels.data() + k * plane;
    switch (pf.GetScalarType()) {
      case gdcm::PixelFormat::UINT8: convert_frame<uint8_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::INT8: convert_frame<int8_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::UINT16: convert_frame<uint16_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::INT16: convert_frame<int16_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::UINT32: convert_frame<uint32_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::INT32: convert_frame<int32_t>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::FLOAT32: convert_frame<float>(src, dst, plane, f->slope, f->inter); break;
      case gdcm::PixelFormat::FLOAT64: convert_frame<double>(src, dst, plane, f->slope, f->inter); break;
      default: break;
    }
  }
  for (size_t i = 0; i < frames_of_file.size(); ++i) {
    const float* p = voxels.data() + frames_of_file[i].first * plane;
    for (size_t j = 0; j < plane; ++j)
      FBD_CHECK(std::isfinite(p[j]), path, ": NaN or infinite values after the rescale (RescaleSlope ",
                fmt(frames_of_file[i].second->slope), ")");
  }
}

// Sorts, checks and reads the frames of `headers` (one multi-frame file, or single-frame files)
// into a volume. `what` names the folder or file in errors.
Volume assemble(const std::vector<Header>& headers, const std::string& what) {
  const Header& first = headers.front();
  for (const Header& h : headers) {
    FBD_CHECK(h.columns == first.columns && h.rows == first.rows, what, ": ", h.path, " is ", h.columns, " x ", h.rows,
              " pixels but ", first.path, " is ", first.columns, " x ", first.rows, ": fbd reads one 3-D volume");
    for (int i = 0; i < 6; ++i)
      FBD_CHECK(std::fabs((*h.iop)[size_t(i)] - (*first.iop)[size_t(i)]) < 1e-4, what, ": ", h.path, " and ",
                first.path, " have different ImageOrientationPatient: fbd reads one 3-D volume");
    for (int i = 0; i < 2; ++i)
      FBD_CHECK(std::fabs((*h.pixel_spacing)[size_t(i)] - (*first.pixel_spacing)[size_t(i)]) < 1e-4, what, ": ", h.path,
                " and ", first.path, " have different PixelSpacing: fbd reads one 3-D volume");
  }
  const std::vector<double>& iop = *first.iop;
  const Vec3 row_cos{iop[0], iop[1], iop[2]}, col_cos{iop[3], iop[4], iop[5]};
  const double nr = std::sqrt(dot(row_cos, row_cos)), nc = std::sqrt(dot(col_cos, col_cos));
  FBD_CHECK(std::fabs(nr - 1) < 1e-3 && std::fabs(nc - 1) < 1e-3 && std::fabs(dot(row_cos, col_cos)) < 1e-3, first.path,
            ": ImageOrientationPatient is not two orthogonal unit vectors");
  const Vec3 normal = cross(row_cos, col_cos);
  const double row_spacing = (*first.pixel_spacing)[0], col_spacing = (*first.pixel_spacing)[1];
  FBD_CHECK(row_spacing > 0 && col_spacing > 0, first.path, ": PixelSpacing must be positive");

  std::vector<Frame> frames;
  for (size_t f = 0; f < headers.size(); ++f)
    for (Frame fr : headers[f].frame_info) {
      fr.file = f;
      fr.pos = dot(fr.ipp, normal);
      frames.push_back(fr);
    }
  std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.pos < b.pos; });
  auto name = [&](const Frame& f) {
    return headers[f.file].path + (headers[f.file].frames > 1 ? " frame " + std::to_string(f.frame + 1) : "");
  };

  // Frames at one position (within 0.01 mm along the normal) are the phases of a 4-D series
  // (DCE): every position must hold as many, ordered in time the same way at each.
  std::vector<std::vector<Frame>> at;
  for (const Frame& f : frames) {
    if (at.empty() || f.pos - at.back().front().pos > 0.01) at.emplace_back();
    at.back().push_back(f);
  }
  const size_t n = at.size(), phases = at.front().size();
  for (std::vector<Frame>& g : at) {
    if (g.size() != phases) {
      const std::vector<Frame>& more = g.size() > phases ? g : at.front();
      const std::vector<Frame>& fewer = g.size() > phases ? at.front() : g;
      FBD_FAIL(what, ": ", more.size(), " frames at the same position (", fmt(more.front().pos),
               " mm along the normal: ", name(more[0]), ", ", name(more[1]), more.size() > 2 ? ", ..." : "", ") but ",
               fewer.size(), " at ", fmt(fewer.front().pos),
               " mm: a 4-D series needs one frame per phase at every position (a missing "
               "file, or several series in one?)");
    }
    std::stable_sort(g.begin(), g.end(), [](const Frame& a, const Frame& b) { return a.time < b.time; });
    for (size_t t = 0; t < phases; ++t) {
      FBD_CHECK(t == 0 || g[t].time != g[t - 1].time, what, ": ", name(g[t - 1]), " and ", name(g[t]),
                " share their position and every time tag (TemporalPositionIdentifier, AcquisitionNumber, "
                "TriggerTime, AcquisitionTime, InstanceNumber): duplicates, or several series in one?");
      FBD_CHECK(g[t].time[0] == at.front()[t].time[0], what, ": phase ", t + 1, " is TemporalPositionIdentifier ",
                fmt(at.front()[t].time[0]), " at ", name(at.front()[t]), " but ", fmt(g[t].time[0]), " at ", name(g[t]),
                ": the positions do not hold the same phases");
    }
  }

  double step = 0;
  if (n > 1) {
    std::vector<double> gaps;
    for (size_t k = 1; k < n; ++k) gaps.push_back(at[k].front().pos - at[k - 1].front().pos);
    step = (at.back().front().pos - at.front().front().pos) / double(n - 1);
    const double tol = std::max(0.01, 0.01 * step);
    bool uniform = true;
    for (double g : gaps) uniform = uniform && std::fabs(g - step) <= tol;
    if (!uniform) {
      std::string list;
      for (size_t k = 0; k < gaps.size(); ++k) {
        if (k == 24) {
          list += ", ...";
          break;
        }
        list += (k ? ", " : "") + fmt(gaps[k]);
      }
      FBD_FAIL(what, ": the slices are not evenly spaced along the normal: gaps ", list, " mm (", n,
               " slices; allowed spread ", fmt(tol), " mm): a missing slice, or slices of several stacks?");
    }
    // Each slice must sit on the normal through the first: an in-plane shift (gantry tilt, a
    // sheared stack) is not what the affine says.
    const double shift_tol = 0.01 + 0.1 * std::min(row_spacing, col_spacing);
    const Vec3& origin = at.front().front().ipp;
    for (const std::vector<Frame>& g : at)
      for (const Frame& f : g) {
        const Vec3 d{f.ipp[0] - origin[0], f.ipp[1] - origin[1], f.ipp[2] - origin[2]};
        const double along = dot(d, normal);
        const Vec3 in{d[0] - along * normal[0], d[1] - along * normal[1], d[2] - along * normal[2]};
        const double shift = std::sqrt(dot(in, in));
        FBD_CHECK(shift <= shift_tol, what, ": ", name(f), " is shifted ", fmt(shift),
                  " mm in plane from the first slice's normal (a gantry tilt or a sheared stack): fbd reads "
                  "stacks of slices along their normal only");
      }
  } else {
    step = first.spacing_between > 0 ? first.spacing_between : first.thickness > 0 ? first.thickness : 1.0;
  }

  Volume v;
  v.source = what;
  v.nx = first.columns;
  v.ny = first.rows;
  v.nz = static_cast<int64_t>(n);
  v.channels = static_cast<int64_t>(phases);
  const int64_t limit = max_volume_voxels();
  const double count = double(v.nx) * double(v.ny) * double(v.nz) * double(phases);
  FBD_CHECK(count <= double(limit), what, ": ", v.nx, " x ", v.ny, " x ", v.nz,
            phases > 1 ? " x " + std::to_string(phases) + " phases" : std::string(), " = ", int64_t(count),
            " voxels, more than the limit of ", limit, " (FBD_MAX_VOXELS)");

  // LPS affine, then LPS -> RAS (the first two rows negated).
  Affine a;
  for (int r = 0; r < 3; ++r) {
    a.m[size_t(r)][0] = row_cos[size_t(r)] * col_spacing;
    a.m[size_t(r)][1] = col_cos[size_t(r)] * row_spacing;
    a.m[size_t(r)][2] = normal[size_t(r)] * step;
    a.m[size_t(r)][3] = at.front().front().ipp[size_t(r)];
  }
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) a.m[size_t(r)][size_t(c)] = -a.m[size_t(r)][size_t(c)];
  v.affine = a;
  set_space_from_affine(v, 1);
  v.dx = col_spacing;
  v.dy = row_spacing;
  v.dz = step;

  // Phase t of slice k is plane k + nz t (Volume's channel layout).
  v.voxels.assign(size_t(count), 0.0f);
  std::vector<std::vector<std::pair<size_t, const Frame*>>> by_file(headers.size());
  for (size_t k = 0; k < n; ++k)
    for (size_t t = 0; t < phases; ++t) by_file[at[k][t].file].push_back({k + n * t, &at[k][t]});
  for (size_t f = 0; f < headers.size(); ++f) read_pixels(headers[f], by_file[f], v.voxels);
  return v;
}

template <typename F>
auto guarded(const std::string& path, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    FBD_FAIL(path, ": out of memory while reading DICOM");
  } catch (const std::exception& e) {
    FBD_FAIL(path, ": cannot read DICOM (", one_line(e.what()), ")");
  }
}

}  // namespace

bool is_dicom_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  char b[132];
  if (!f.read(b, sizeof b)) return false;
  return std::memcmp(b + 128, "DICM", 4) == 0;
}

std::vector<DicomSeriesInfo> list_dicom_series(const std::string& folder) {
  return guarded(folder, [&] {
    std::map<std::string, DicomSeriesInfo> by_uid;
    for (const std::string& file : dicom_files(folder)) {
      const Header h = read_header(file, false);
      DicomSeriesInfo& s = by_uid[h.uid];
      if (s.files == 0) {
        s.uid = h.uid;
        s.description = h.description;
        s.modality = h.modality;
      }
      ++s.files;
    }
    std::vector<DicomSeriesInfo> out;
    for (auto& [uid, s] : by_uid) out.push_back(s);
    return out;
  });
}

Volume read_dicom_series(const std::string& path, const std::string& series_uid) {
  return guarded(path, [&]() -> Volume {
    std::error_code ec;
    FBD_CHECK(fs::exists(path, ec), path, ": no such file or folder");
    if (!fs::is_directory(path, ec)) {
      FBD_CHECK(is_dicom_file(path), path,
                ": not a DICOM file (no \"DICM\" at byte 128; fbd reads DICOM Part 10 files)");
      Header h = read_header(path, true);
      FBD_CHECK(series_uid.empty() || h.uid == series_uid, path, ": its SeriesInstanceUID is ", h.uid, ", not ",
                series_uid);
      return assemble({h}, path);
    }
    const std::vector<std::string> files = dicom_files(path);
    FBD_CHECK(!files.empty(), path,
              ": no DICOM files in this folder (none with \"DICM\" at byte 128; sub-folders are not searched)");
    std::vector<Header> all;
    std::map<std::string, DicomSeriesInfo> by_uid;
    for (const std::string& file : files) {
      all.push_back(read_header(file, false));
      DicomSeriesInfo& s = by_uid[all.back().uid];
      if (s.files == 0) {
        s.uid = all.back().uid;
        s.description = all.back().description;
        s.modality = all.back().modality;
      }
      ++s.files;
    }
    std::vector<DicomSeriesInfo> series;
    for (auto& [uid, s] : by_uid) series.push_back(s);
    std::string chosen;
    if (series_uid.empty()) {
      FBD_CHECK(series.size() == 1, path, ": ", series.size(), " DICOM series in this folder: ", series_list(series),
                "; choose one by its SeriesInstanceUID (fbd: --series UID)");
      chosen = series.front().uid;
    } else {
      FBD_CHECK(by_uid.count(series_uid), path, ": no series with SeriesInstanceUID ", series_uid,
                " in this folder; it holds ", series_list(series));
      chosen = series_uid;
    }
    std::vector<Header> headers;
    for (const Header& h : all)
      if (h.uid == chosen) headers.push_back(read_header(h.path, true));
    if (headers.size() > 1)
      for (const Header& h : headers)
        FBD_CHECK(h.frames == 1, path, ": ", h.path, " is a multi-frame file (", h.frames,
                  " frames) in a series of several files: read the file on its own");
    return assemble(headers, path);
  });
}

}  // namespace fbd::data
