#include "tributary/base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace tributary {
namespace {

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.reason(), "");
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_TRUE(Status::OK().ok());
}

TEST(StatusTest, CodeNames) {
  EXPECT_EQ(CodeName(Code::kOk), "ok");
  EXPECT_EQ(CodeName(Code::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(CodeName(Code::kNotFound), "not_found");
  EXPECT_EQ(CodeName(Code::kAlreadyExists), "already_exists");
  EXPECT_EQ(CodeName(Code::kFailedPrecondition), "failed_precondition");
  EXPECT_EQ(CodeName(Code::kPermissionDenied), "permission_denied");
  EXPECT_EQ(CodeName(Code::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(CodeName(Code::kUnavailable), "unavailable");
  EXPECT_EQ(CodeName(Code::kCorruption), "corruption");
  EXPECT_EQ(CodeName(Code::kIOError), "io_error");
  EXPECT_EQ(CodeName(Code::kInternal), "internal");
}

TEST(StatusTest, CodeFromNameRoundTrips) {
  for (Code c : {Code::kOk, Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists,
                 Code::kFailedPrecondition, Code::kPermissionDenied, Code::kResourceExhausted,
                 Code::kUnavailable, Code::kCorruption, Code::kIOError, Code::kInternal}) {
    EXPECT_EQ(CodeFromName(CodeName(c)), c) << CodeName(c);
  }
  EXPECT_EQ(CodeFromName("no_such_code"), Code::kInternal);
}

TEST(StatusTest, FactoriesUseTheCodeNameAsDefaultReason) {
  struct Case {
    Status s;
    Code code;
  };
  std::vector<Case> cases = {
      {Status::InvalidArgument("m"), Code::kInvalidArgument},
      {Status::NotFound("m"), Code::kNotFound},
      {Status::AlreadyExists("m"), Code::kAlreadyExists},
      {Status::FailedPrecondition("m"), Code::kFailedPrecondition},
      {Status::PermissionDenied("m"), Code::kPermissionDenied},
      {Status::ResourceExhausted("m"), Code::kResourceExhausted},
      {Status::Unavailable("m"), Code::kUnavailable},
      {Status::Corruption("m"), Code::kCorruption},
      {Status::IOError("m"), Code::kIOError},
      {Status::Internal("m"), Code::kInternal},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.s.ok());
    EXPECT_EQ(c.s.code(), c.code);
    EXPECT_EQ(c.s.reason(), CodeName(c.code));
    EXPECT_EQ(c.s.message(), "m");
    EXPECT_EQ(c.s.ToString(), std::string(CodeName(c.code)) + ": m");
  }
}

TEST(StatusTest, CustomReason) {
  Status s = Status::PermissionDenied("signature does not verify", "bad_signature");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.reason(), "bad_signature");
  EXPECT_EQ(s.ToString(), "bad_signature: signature does not verify");
  Status direct(Code::kCorruption, "my_reason", "my message");
  EXPECT_EQ(direct.code(), Code::kCorruption);
  EXPECT_EQ(direct.reason(), "my_reason");
  EXPECT_EQ(direct.message(), "my message");
}

TEST(StatusTest, WithContextPrependsToMessageOnly) {
  Status s = Status::NotFound("no such key", "key_not_found").WithContext("loading alice");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.reason(), "key_not_found");
  EXPECT_EQ(s.message(), "loading alice: no such key");
  EXPECT_EQ(s.ToString(), "key_not_found: loading alice: no such key");
  // OK stays OK and gains no message.
  Status ok = Status::OK().WithContext("anything");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.message(), "");
  EXPECT_EQ(ok.ToString(), "OK");
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(r.value(), 42);
  *r = 7;
  EXPECT_EQ(r.value(), 7);

  Result<std::string> s = std::string("hello");
  EXPECT_EQ(s->size(), 5u);
  std::string moved = std::move(s).value();
  EXPECT_EQ(moved, "hello");
}

TEST(ResultTest, HoldsStatus) {
  Result<int> r = Status::NotFound("nothing", "gone");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().reason(), "gone");
  EXPECT_EQ(r.status().message(), "nothing");
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 5);
}

Status FailIf(bool fail) {
  if (fail) return Status::Unavailable("later", "busy");
  return Status::OK();
}

Status UsesReturnIfError(bool fail, int* reached) {
  TRIB_RETURN_IF_ERROR(FailIf(fail));
  ++*reached;
  return Status::OK();
}

Result<int> MaybeInt(bool fail) {
  if (fail) return Status::InvalidArgument("no int", "bad_int");
  return 10;
}

Result<int> UsesAssignOrReturn(bool fail) {
  TRIB_ASSIGN_OR_RETURN(int v, MaybeInt(fail));
  TRIB_ASSIGN_OR_RETURN(int w, MaybeInt(false));  // two in one scope must not clash
  return v + w + 1;
}

TEST(StatusMacrosTest, ReturnIfError) {
  int reached = 0;
  EXPECT_TRUE(UsesReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = UsesReturnIfError(true, &reached);
  EXPECT_EQ(s.reason(), "busy");
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturn) {
  auto ok = UsesAssignOrReturn(false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 21);
  auto bad = UsesAssignOrReturn(true);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().reason(), "bad_int");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace tributary
