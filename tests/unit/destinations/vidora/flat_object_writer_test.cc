// FlatObjectWriter's fragments: members written once and pasted into several
// objects must come out exactly as if each object had written them itself,
// collision rules included.
#include "destinations/vidora/flat_object_writer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>
#include <vector>

namespace cdp_relay::destinations::vidora {
namespace {

const std::vector<std::string_view> kReserved = {"user_id", "type"};

class FlatObjectWriterFragmentTest : public ::testing::Test {
 protected:
  simdjson::dom::object parse(const std::string& json) {
    documents_.push_back(std::make_unique<simdjson::dom::parser>());
    return documents_.back()->parse(json).get_object().value();
  }

  // "OS", "os" and "Os" all become device_info_os: the second takes the
  // prop_ form, the third the first numbered suffix.
  FlatObjectWriter::Fragment device_fragment() {
    FlatObjectWriter writer;
    std::string scratch;
    writer.reset(scratch, kReserved);
    writer.custom_members("device_info", parse(kDeviceInfo));
    FlatObjectWriter::Fragment fragment;
    writer.close_as_fragment(fragment);
    EXPECT_TRUE(scratch.empty()) << "the fragment's text moves out of the scratch buffer";
    return fragment;
  }

  static constexpr const char* kDeviceInfo =
      R"({"OS":"a","os":"b","Os":"c","screen":{"Width":390,"height":844},"tags":[1,"x"]})";

 private:
  std::vector<std::unique_ptr<simdjson::dom::parser>> documents_;
};

TEST_F(FlatObjectWriterFragmentTest, FragmentHoldsTheMembersKeysAndDrops) {
  const FlatObjectWriter::Fragment fragment = device_fragment();
  EXPECT_EQ(fragment.members,
            R"("device_info_os":"a","prop_device_info_os":"b","prop_device_info_os_2":"c",)"
            R"("device_info_screen_width":390,"device_info_screen_height":844,)"
            R"("device_info_tags":"[1,\"x\"]")");
  std::vector<std::string> keys;
  for (const auto& key : fragment.keys) {
    keys.emplace_back(fragment.members.substr(key.offset, key.length));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"device_info_os", "prop_device_info_os",
                                            "prop_device_info_os_2", "device_info_screen_width",
                                            "device_info_screen_height", "device_info_tags"}));
  EXPECT_EQ(fragment.dropped, 0u);
}

// One key, its prop_ form and prop_..._2 up to the limit: every one of
// those is written, and only values beyond them are dropped (and counted),
// whether written member by member or pasted from a fragment.
TEST_F(FlatObjectWriterFragmentTest, CollisionsTakeNumberedSuffixesUpToTheLimit) {
  const int writable = 2 + (FlatObjectWriter::kMaxCollisionSuffix - 1);  // os, prop_os, _2.._N
  std::string json = "{";
  for (int i = 0; i < writable + 2; ++i) {
    // "os", "os ", "os  ", ...: distinct names that all snake-case to "os".
    json += (i ? "," : "") + std::string("\"os") + std::string(i, ' ') + "\":" +
            std::to_string(i);
  }
  json += "}";
  const simdjson::dom::object members = parse(json);

  FlatObjectWriter writer;
  std::string out;
  writer.reset(out, kReserved);
  writer.custom_members("", members);
  writer.close();
  EXPECT_EQ(writer.dropped(), 2u);
  const std::string last = "\"prop_os_" + std::to_string(FlatObjectWriter::kMaxCollisionSuffix) +
                           "\":" + std::to_string(writable - 1) + "}";
  EXPECT_TRUE(out.ends_with(last)) << out.substr(out.size() - 60);
  EXPECT_NE(out.find(R"("os":0,"prop_os":1,"prop_os_2":2,)"), std::string::npos) << out.substr(0, 80);

  FlatObjectWriter fragment_writer;
  std::string scratch;
  fragment_writer.reset(scratch, kReserved);
  fragment_writer.custom_members("", members);
  FlatObjectWriter::Fragment fragment;
  fragment_writer.close_as_fragment(fragment);
  EXPECT_EQ(fragment.dropped, 2u);
  std::string pasted;
  FlatObjectWriter pasting;
  pasting.reset(pasted, kReserved);
  ASSERT_TRUE(pasting.paste(fragment));
  pasting.close();
  EXPECT_EQ(pasted, out);
  EXPECT_EQ(pasting.dropped(), 2u);
}

TEST_F(FlatObjectWriterFragmentTest, PastingEqualsWritingTheMembers) {
  const FlatObjectWriter::Fragment fragment = device_fragment();
  // The same object twice: once pasting, once writing member by member. A
  // custom key written after the paste must see the fragment's keys taken.
  const simdjson::dom::object later = parse(R"({"device_info_os":1,"prop_device_info_os":2})");
  std::string pasted, written;
  FlatObjectWriter pasting, writing;

  pasting.reset(pasted, kReserved);
  pasting.reserved_string("user_id", "u1");
  ASSERT_TRUE(pasting.paste(fragment));
  pasting.custom_members("", later);
  pasting.close();

  writing.reset(written, kReserved);
  writing.reserved_string("user_id", "u1");
  writing.custom_members("device_info", parse(kDeviceInfo));
  writing.custom_members("", later);
  writing.close();

  EXPECT_EQ(pasted, written);
  // `later`'s first key finds device_info_os, its prop_ form and _2 taken.
  EXPECT_NE(pasted.find(R"("prop_device_info_os_3":1)"), std::string::npos) << pasted;
  EXPECT_NE(pasted.find(R"("prop_prop_device_info_os":2)"), std::string::npos) << pasted;
  EXPECT_EQ(pasting.dropped(), writing.dropped());
  EXPECT_EQ(pasting.dropped(), 0u);
}

TEST_F(FlatObjectWriterFragmentTest, PasteIntoAnEmptyObjectHasNoLeadingComma) {
  const FlatObjectWriter::Fragment fragment = device_fragment();
  std::string out = "[";
  FlatObjectWriter writer;
  writer.reset(out, kReserved);
  ASSERT_TRUE(writer.paste(fragment));
  writer.close();
  EXPECT_EQ(out, "[{" + fragment.members + "}");
}

TEST_F(FlatObjectWriterFragmentTest, PasteRefusesWhenAKeyIsTakenAndLeavesNothingBehind) {
  const FlatObjectWriter::Fragment fragment = device_fragment();
  // The object claimed the fragment's second key before the paste: the
  // paste must write nothing and release the first key it had inserted, so
  // writing the members one by one gives what it always gives.
  const simdjson::dom::object before = parse(R"({"prop_device_info_os":0})");
  std::string refused, written;
  FlatObjectWriter refusing, writing;

  refusing.reset(refused, kReserved);
  refusing.custom_members("", before);
  const std::string before_paste = refused;
  EXPECT_FALSE(refusing.paste(fragment));
  EXPECT_EQ(refused, before_paste);
  refusing.custom_members("device_info", parse(kDeviceInfo));
  refusing.close();

  writing.reset(written, kReserved);
  writing.custom_members("", before);
  writing.custom_members("device_info", parse(kDeviceInfo));
  writing.close();

  EXPECT_EQ(refused, written);
  EXPECT_NE(refused.find(R"("device_info_os":"a")"), std::string::npos) << refused;
  EXPECT_EQ(refusing.dropped(), writing.dropped());
}

TEST_F(FlatObjectWriterFragmentTest, WriterIsReusableAfterARefusedPaste) {
  // The key set's rollback must leave it consistent for the next object.
  const FlatObjectWriter::Fragment fragment = device_fragment();
  FlatObjectWriter writer;
  std::string first, second;
  writer.reset(first, kReserved);
  writer.custom_members("", parse(R"({"device_info_tags":true})"));
  EXPECT_FALSE(writer.paste(fragment));
  writer.close();
  writer.reset(second, kReserved);
  EXPECT_TRUE(writer.paste(fragment));
  writer.close();
  EXPECT_EQ(second, "{" + fragment.members + "}");
}

TEST_F(FlatObjectWriterFragmentTest, KeysAreFoundAfterTheOutputGrows) {
  // The key set points at the keys inside the output, by offset: the output
  // moving as it grows must not lose them.
  std::string members = "{";
  for (int i = 0; i < 200; ++i) {
    if (i > 0) members += ",";
    members += "\"key" + std::to_string(i) + "\":\"" + std::string(1000, 'v') + "\"";
  }
  members += "}";
  const simdjson::dom::object many = parse(members);
  const simdjson::dom::object again = parse(R"({"key0":1,"key199":2,"reused":3})");

  std::string out = "prefix";  // the object starts inside a used buffer
  out.shrink_to_fit();
  FlatObjectWriter writer;
  writer.reset(out, kReserved);
  writer.custom_members("", many);
  writer.custom_members("", again);
  writer.close();
  EXPECT_NE(out.find(R"("prop_key0":1)"), std::string::npos);
  EXPECT_NE(out.find(R"("prop_key199":2)"), std::string::npos);
  EXPECT_NE(out.find(R"("reused":3)"), std::string::npos);
  EXPECT_EQ(writer.dropped(), 0u);
}

}  // namespace
}  // namespace cdp_relay::destinations::vidora
