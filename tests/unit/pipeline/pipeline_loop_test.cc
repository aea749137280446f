// The pipeline loop's at-least-once rules on their own (docs/architecture.md
// "Delivery semantics"): a fake source feeding messages from memory, fake
// sinks that finish outputs when the test says so, the real transform stage
// and a manual clock. The loop's one wait is replaced by the test's waiter,
// which records what the loop would sleep on, moves the clock by as much as
// it would sleep, and runs the test's script for that moment. No Kafka, no
// sockets, no sleeps.
#include "pipeline/pipeline_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kafka_sinks/dead_letter.h"
#include "kafka_sinks/normalized_event_encoder.h"

namespace cdp_relay::pipeline {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTopic = "raw-events";

std::string track_event(int n) {
  return R"({"type":"track","event":"Played","userId":"u)" + std::to_string(n) +
         R"(","messageId":"m)" + std::to_string(n) + R"(","timestamp":"2024-05-01T10:00:00Z"})";
}

// A source whose messages come from memory. It hands out at most
// `per_turn` messages between two begin_serving() calls (one turn of the
// loop), and none while paused, as a paused consumer fetches nothing.
class FakeSource final : public Source {
 public:
  struct Commit {
    std::vector<TopicPartitionOffset> offsets;
    std::chrono::milliseconds timeout;
  };

  void add(int32_t partition, int64_t offset, std::string value) {
    values_.push_back(std::move(value));
    queue_.push_back({partition, offset, values_.size() - 1});
  }
  void add_messages(int count, int32_t partition = 0, int64_t first_offset = 0) {
    for (int i = 0; i < count; ++i) add(partition, first_offset + i, track_event(i));
  }

  std::optional<ConsumedMessage> poll() override {
    if (on_next_poll) {
      // Like librdkafka, which calls the rebalance listener from inside poll.
      auto action = std::move(on_next_poll);
      on_next_poll = nullptr;
      action();
    }
    if (queue_.empty() || paused_ || served_this_turn_ >= per_turn) return std::nullopt;
    ++served_this_turn_;
    const Queued queued = queue_.front();
    queue_.pop_front();
    ConsumedMessage message;
    message.topic = kTopic;
    message.partition = queued.partition;
    message.offset = queued.offset;
    message.key = "key";
    message.value = values_[queued.value];
    message.timestamp_ms = 1'700'000'000'000;
    if (lend_buffers) {
      // Like a librdkafka message: bytes lent by the source until released.
      ++lent;
      message.owner = MessageOwner(&values_[queued.value], ReleaseMessage{[](void*) { ++given_back; }});
    }
    return message;
  }
  void add_wait(util::WaitSet& wait) const override { wait.watch(kFd, POLLIN); }
  void begin_serving() override { served_this_turn_ = 0; }
  void store_offset(const std::string& topic, int32_t partition, int64_t offset) override {
    stored[{topic, partition}] = offset;
  }
  CommitResult commit(const std::vector<TopicPartitionOffset>& offsets,
                      std::chrono::milliseconds timeout) override {
    commits.push_back({offsets, timeout});
    return CommitResult::kCommitted;
  }
  void pause_all() override {
    paused_ = true;
    if (on_pause) on_pause();
  }
  void resume_all() override {
    paused_ = false;
    if (on_resume) on_resume();
  }
  bool paused() const override { return paused_; }
  bool close(std::chrono::milliseconds timeout) override {
    close_timeouts.push_back(timeout);
    return true;
  }

  static constexpr int kFd = 101;
  size_t per_turn = 512;
  // Hand out messages whose bytes the source lends (an owner that counts the
  // buffers given back) instead of bytes it keeps alive itself.
  bool lend_buffers = false;
  int lent = 0;
  static inline int given_back = 0;
  std::map<std::pair<std::string, int32_t>, int64_t> stored;
  std::vector<Commit> commits;
  std::vector<std::chrono::milliseconds> close_timeouts;
  std::function<void()> on_pause;
  std::function<void()> on_resume;
  std::function<void()> on_next_poll;

 private:
  struct Queued {
    int32_t partition;
    int64_t offset;
    size_t value;
  };
  std::deque<std::string> values_;  // stable addresses: messages view them
  std::deque<Queued> queue_;
  size_t served_this_turn_ = 0;
  bool paused_ = false;
};

// A sink that holds every output until the test finishes it.
class FakeSink final : public Sink {
 public:
  explicit FakeSink(std::string name, Outcome::Kind success = Outcome::Kind::kDelivered)
      : name_(std::move(name)), success_(success) {}

  const std::string& name() const override { return name_; }
  void submit(Output output) override {
    if (on_submit) on_submit(output);
    held.push_back(std::move(output));
  }
  void poll(std::vector<Outcome>& outcomes) override {
    for (auto& outcome : finished_) outcomes.push_back(std::move(outcome));
    finished_.clear();
  }
  void add_wait(util::WaitSet& wait) const override {
    if (fd >= 0) wait.watch(fd, POLLIN);
    if (!finished_.empty()) wait.wake_now();
    if (deadline) wait.wake_at(*deadline);
  }
  size_t pending() const override { return held.size() + finished_.size(); }

  // Finishes the held output of `offset` (the first one held, any offset
  // when -1): succeeded, or failed for `reason`.
  void succeed(int64_t offset = -1) { finish(offset, std::nullopt); }
  void fail(int64_t offset, Reason reason) { finish(offset, reason); }
  void succeed_all() {
    while (!held.empty()) succeed();
  }

  std::vector<Output> held;
  std::function<void(const Output&)> on_submit;
  int fd = -1;
  std::optional<Clock::time_point> deadline;

 private:
  void finish(int64_t offset, std::optional<Reason> failure) {
    auto it = std::find_if(held.begin(), held.end(), [&](const Output& output) {
      return offset < 0 || output.ref.offset == offset;
    });
    ASSERT_NE(it, held.end()) << "no output held for offset " << offset;
    Outcome outcome;
    outcome.ref = it->ref;
    outcome.payload = std::move(it->payload);
    outcome.kind = failure ? Outcome::Kind::kFailed : success_;
    if (failure) {
      outcome.error.stage = Stage::kDeliver;
      outcome.error.reason = *failure;
      outcome.error.message = "gave up";
      outcome.first_attempt_ms = 1;
      outcome.last_attempt_ms = 2;
    }
    held.erase(it);
    finished_.push_back(std::move(outcome));
  }

  std::string name_;
  Outcome::Kind success_;
  std::vector<Outcome> finished_;
};

// What the loop asked its wait for, once.
struct WaitSeen {
  std::vector<int> fds;
  std::optional<Clock::time_point> deadline;
  std::chrono::milliseconds timeout;
  Clock::time_point at;
};

class PipelineLoopTest : public ::testing::Test {
 protected:
  void make_loop(size_t max_inflight_messages = 1000, int64_t drain_ms = 10000,
                 int64_t grace_s = 30) {
    LoopSettings settings;
    settings.bounds.max_inflight_messages = max_inflight_messages;
    settings.bounds.rebalance_drain_timeout_ms = drain_ms;
    settings.shutdown_grace = std::chrono::seconds(grace_s);
    settings.topic_formats[std::string(kTopic)] = decode::InputFormat::kAuto;
    std::vector<std::unique_ptr<route::EventEncoder>> encoders;
    encoders.push_back(std::make_unique<kafka_sinks::NormalizedEventEncoder>());
    transform_ = std::make_unique<route::TransformStage>(settings.limits, std::move(encoders));
    loop_ = std::make_unique<PipelineLoop>(
        settings, *transform_, std::vector<Route>{Route{&destination_, nullptr, nullptr}},
        DeadLetterRoute{&dead_letters_, &kafka_sinks::dead_letter_headers}, clock_);
    loop_->attach(source_);
    loop_->set_waiter([this](util::WaitSet& wait, std::chrono::milliseconds max_sleep) {
      WaitSeen seen;
      for (const pollfd& fd : wait.fds()) seen.fds.push_back(fd.fd);
      seen.deadline = wait.deadline();
      seen.timeout = wait.timeout(max_sleep);
      seen.at = clock_.now();
      waits_.push_back(seen);
      clock_.advance(seen.timeout);  // as long as the loop would sleep
      if (script_) script_(waits_.size());
      // A loop that never stops waiting fails the test rather than hanging it.
      if (waits_.size() > 100000) stop_ = true;
      ASSERT_LE(waits_.size(), 100000u) << "the loop does not stop";
    });
  }

  void assign(int32_t partition = 0) {
    loop_->on_assigned({TopicPartition{std::string(kTopic), partition}});
  }

  // Runs the loop; `script` is called at each wait with the number of waits
  // so far, and stops the loop by setting stop_.
  bool run(std::function<void(size_t)> script) {
    script_ = std::move(script);
    return loop_->run(stop_);
  }

  std::optional<int64_t> stored(int32_t partition = 0) const {
    auto it = source_.stored.find({std::string(kTopic), partition});
    if (it == source_.stored.end()) return std::nullopt;
    return it->second;
  }

  ManualClock clock_;
  FakeSource source_;
  FakeSink destination_{"vidora"};
  FakeSink dead_letters_{"dead_letter", Outcome::Kind::kAcknowledged};
  std::unique_ptr<route::TransformStage> transform_;
  std::unique_ptr<PipelineLoop> loop_;
  std::atomic<bool> stop_{false};
  std::function<void(size_t)> script_;
  std::vector<WaitSeen> waits_;
};

// --- dead letters and the watermark --------------------------------------

TEST_F(PipelineLoopTest, ADeliveryFailureIsDeadLetteredBeforeItsOutputResolves) {
  make_loop();
  assign();
  source_.add_messages(1);
  std::optional<int64_t> committable_when_dead_lettered = -1;
  std::optional<int64_t> stored_when_dead_lettered = -1;
  dead_letters_.on_submit = [&](const Output& record) {
    committable_when_dead_lettered = record.ref.partition->committable();
    stored_when_dead_lettered = stored();
  };
  run([&](size_t wait) {
    if (wait == 1) destination_.fail(0, Reason::kRetriesExhausted);
    if (wait == 2) {
      ASSERT_EQ(dead_letters_.held.size(), 1u) << "the failure was not dead-lettered";
      EXPECT_EQ(stored(), std::nullopt) << "the offset moved before the DLQ acknowledged";
      dead_letters_.succeed();
    }
    if (wait == 3) stop_ = true;
  });
  EXPECT_EQ(committable_when_dead_lettered, std::nullopt)
      << "the failed output was resolved before its dead letter was registered";
  EXPECT_EQ(stored_when_dead_lettered, std::nullopt);
  EXPECT_EQ(stored(), 1) << "acknowledged by the DLQ: the offset moves past it";
  EXPECT_EQ(loop_->counters().events_dead_lettered.load(), 1u);
  EXPECT_EQ(loop_->dead_letters_by_reason().at("retries_exhausted"), 1u);
}

TEST_F(PipelineLoopTest, TheDeadLetterCarriesTheOriginalBytesKeyAndWhereTheyCameFrom) {
  make_loop();
  assign();
  source_.add(0, 7, track_event(7));
  run([&](size_t wait) {
    if (wait == 1) destination_.fail(7, Reason::kClientError);
    if (wait == 2) stop_ = true;
  });
  ASSERT_EQ(dead_letters_.held.size(), 1u);
  const Output& record = dead_letters_.held[0];
  EXPECT_EQ(record.payload, track_event(7));
  EXPECT_EQ(record.key, "key");
  std::map<std::string, std::string> headers(record.headers.begin(), record.headers.end());
  EXPECT_EQ(headers["cdp.error.reason"], "client_error");
  EXPECT_EQ(headers["cdp.error.destination"], "vidora");
  EXPECT_EQ(headers["cdp.source.topic"], kTopic);
  EXPECT_EQ(headers["cdp.source.offset"], "7");
}

TEST_F(PipelineLoopTest, TheWatermarkNeverPassesAFailedOffset) {
  make_loop();
  assign();
  source_.add_messages(3);  // offsets 0, 1, 2
  std::vector<std::optional<int64_t>> stored_at_wait;
  run([&](size_t wait) {
    stored_at_wait.push_back(stored());
    if (wait == 1) {
      destination_.succeed(0);
      destination_.fail(1, Reason::kRetriesExhausted);
      destination_.succeed(2);
    }
    if (wait == 3) dead_letters_.succeed();  // the DLQ acknowledges offset 1's dead letter
    if (wait == 5) stop_ = true;
  });
  ASSERT_GE(stored_at_wait.size(), 4u);
  EXPECT_EQ(stored_at_wait[1], 1) << "0 done, 1 waits for its dead letter: the watermark stops at 1";
  EXPECT_EQ(stored_at_wait[2], 1);
  EXPECT_EQ(stored(), 3);
}

// --- rebalance -------------------------------------------------------------

TEST_F(PipelineLoopTest, ARevokeDrainsWithinItsBoundAndCommitsWhatResolved) {
  make_loop(1000, /*drain_ms=*/2000);
  assign();
  source_.add_messages(2);
  bool revoking = false;
  bool revoked = false;
  Clock::time_point revoked_at{};
  size_t waits_before_revoke = 0;
  size_t waits_during_revoke = 0;
  run([&](size_t wait) {
    if (wait == 1) {
      source_.on_next_poll = [&] {
        revoking = true;
        revoked_at = clock_.now();
        waits_before_revoke = waits_.size();
        loop_->on_revoking({TopicPartition{std::string(kTopic), 0}}, /*lost=*/false);
        waits_during_revoke = waits_.size() - waits_before_revoke;
        revoking = false;
        revoked = true;
      };
    }
    // Offset 0 finishes during the drain; offset 1 never does.
    if (revoking && destination_.held.size() == 2) destination_.succeed(0);
    if (revoked && !destination_.held.empty()) {
      destination_.succeed(1);  // a late completion of the revoked partition
    } else if (revoked) {
      stop_ = true;
    }
  });
  ASSERT_TRUE(revoked);
  EXPECT_GT(waits_during_revoke, 0u) << "the revoke did not drain";
  ASSERT_GE(source_.commits.size(), 1u);
  const FakeSource::Commit& commit = source_.commits[0];
  ASSERT_EQ(commit.offsets.size(), 1u);
  EXPECT_EQ(commit.offsets[0].offset, 1) << "what resolved is committed, no more";
  EXPECT_GT(commit.timeout, 0ms) << "the drain left the commit no time";
  // The drain and the commit's wait together stay within the bound.
  const Clock::time_point drained_at = waits_[waits_before_revoke + waits_during_revoke - 1].at +
                                       waits_[waits_before_revoke + waits_during_revoke - 1].timeout;
  EXPECT_LE(drained_at - revoked_at + commit.timeout, 2000ms) << "the revoke ran past its bound";
  EXPECT_FALSE(loop_->has_assignment());
  EXPECT_EQ(stored(), 1) << "a late completion of a revoked partition was stored";
}

TEST_F(PipelineLoopTest, ALostPartitionCommitsAndStoresNothingAndDoesNotDrain) {
  make_loop();
  assign();
  source_.add_messages(2);
  bool lost = false;
  size_t waits_during_revoke = 0;
  run([&](size_t wait) {
    if (wait == 1) {
      destination_.succeed(0);  // finished, not yet seen by the loop
      source_.on_next_poll = [&] {
        const size_t before = waits_.size();
        loop_->on_revoking({TopicPartition{std::string(kTopic), 0}}, /*lost=*/true);
        waits_during_revoke = waits_.size() - before;
        lost = true;
      };
    }
    if (lost) stop_ = true;
  });
  ASSERT_TRUE(lost);
  EXPECT_EQ(waits_during_revoke, 0u) << "a lost partition was drained";
  EXPECT_EQ(stored(), std::nullopt) << "a lost partition's offset was stored";
  // Shutdown's commit covers stored offsets only: none of the lost partition.
  for (const auto& commit : source_.commits) {
    EXPECT_TRUE(commit.offsets.empty()) << "a lost partition's offsets were committed";
  }
  EXPECT_FALSE(loop_->has_assignment());
}

// --- backpressure ----------------------------------------------------------

bool watches(const WaitSeen& wait, int fd) {
  return std::find(wait.fds.begin(), wait.fds.end(), fd) != wait.fds.end();
}

// At a bound the loop holds: it takes nothing more from the source, whose
// prefetched messages stay there, and takes again once an output resolves.
// Pausing would make librdkafka drop its prefetch and fetch again up to a
// second later.
TEST_F(PipelineLoopTest, AtTheBoundTheLoopHoldsAndTakesAgainBelowItWithoutPausing) {
  make_loop(/*max_inflight_messages=*/4);
  assign();
  source_.per_turn = 1;
  source_.add_messages(10);
  int pauses = 0;
  size_t most_inflight = 0;
  int holding_waits = 0;
  source_.on_pause = [&] { ++pauses; };
  run([&](size_t) {
    most_inflight = std::max(most_inflight, loop_->inflight_messages());
    if (loop_->inflight_messages() == 4) {
      ++holding_waits;
      EXPECT_FALSE(watches(waits_.back(), FakeSource::kFd))
          << "a holding loop must not wake for input it will not take";
      destination_.succeed();  // within the hold's second
    }
    if (loop_->counters().messages_consumed.load() == 10) {
      source_.on_pause = nullptr;  // shutdown pauses
      stop_ = true;
    }
  });
  EXPECT_EQ(loop_->counters().messages_consumed.load(), 10u);
  EXPECT_EQ(most_inflight, 4u) << "took past the bound";
  EXPECT_GT(holding_waits, 0) << "never held at the bound";
  EXPECT_EQ(pauses, 0) << "paused although outputs kept resolving";
  EXPECT_GE(loop_->counters().pauses.load(), 1u) << "backpressure episodes are counted";
}

// A hold in which nothing resolves (a DLQ outage, an open circuit) becomes a
// pause after a second, so that the consumer keeps being served (rebalances
// included); the source resumes once every bound is down to half.
TEST_F(PipelineLoopTest, AHoldWithNothingResolvingPausesAfterASecondAndResumesAtHalf) {
  make_loop(/*max_inflight_messages=*/4);
  assign();
  source_.per_turn = 1;  // one message per turn: the bound is met exactly
  source_.add_messages(10);
  std::optional<Clock::time_point> hold_began;
  std::optional<Clock::time_point> paused_at;
  std::vector<size_t> inflight_at_pause;
  std::vector<size_t> inflight_at_resume;
  source_.on_pause = [&] {
    paused_at = clock_.now();
    inflight_at_pause.push_back(loop_->inflight_messages());
  };
  source_.on_resume = [&] { inflight_at_resume.push_back(loop_->inflight_messages()); };
  run([&](size_t) {
    if (!hold_began && loop_->inflight_messages() == 4) hold_began = waits_.back().at;
    if (inflight_at_pause.size() == 1 && inflight_at_resume.empty() && !destination_.held.empty()) {
      destination_.succeed();  // one at a time, one per turn
    }
    if (!inflight_at_resume.empty()) {
      stop_ = true;
      source_.on_pause = nullptr;  // shutdown pauses too
    }
  });
  ASSERT_EQ(inflight_at_pause.size(), 1u);
  EXPECT_EQ(inflight_at_pause[0], 4u) << "paused elsewhere than at the bound";
  ASSERT_TRUE(hold_began && paused_at);
  EXPECT_GE(*paused_at - *hold_began, 1s) << "paused before the hold lasted a second";
  EXPECT_LT(*paused_at - *hold_began, 1200ms) << "held well past its second";
  ASSERT_EQ(inflight_at_resume.size(), 1u);
  EXPECT_EQ(inflight_at_resume[0], 2u) << "resumed elsewhere than at half the bound";
  EXPECT_EQ(loop_->counters().pauses.load(), 1u);
}

// A message still unresolved after its turn gives the source's buffer back
// (a librdkafka message pins the whole fetch buffer it came in) and keeps a
// copy of its bytes, which a later dead letter still carries.
TEST_F(PipelineLoopTest, AMessageHeldPastItsBufferLeaseGivesItsBufferBackAndKeepsACopy) {
  make_loop();
  assign();
  source_.lend_buffers = true;
  FakeSource::given_back = 0;
  source_.add_messages(1);
  const Clock::time_point consumed_at = clock_.now();
  std::optional<Clock::time_point> given_back_at;
  run([&](size_t wait) {
    if (wait == 1) {
      EXPECT_EQ(source_.lent, 1);
      EXPECT_EQ(FakeSource::given_back, 0) << "a message just consumed was copied at once";
    }
    if (!given_back_at && FakeSource::given_back == 1) {
      given_back_at = clock_.now();
      destination_.fail(0, Reason::kRetriesExhausted);
    }
    if (!dead_letters_.held.empty() || clock_.now() - consumed_at > 10s) stop_ = true;
  });
  ASSERT_TRUE(given_back_at) << "an in-flight message still pins its buffer";
  const LoopSettings defaults;
  // One to two leases, and a turn: the loop sleeps at most 100 ms.
  EXPECT_GE(*given_back_at - consumed_at, defaults.buffer_lease);
  EXPECT_LE(*given_back_at - consumed_at, 2 * defaults.buffer_lease + 100ms);
  ASSERT_EQ(dead_letters_.held.size(), 1u);
  EXPECT_EQ(dead_letters_.held[0].payload, track_event(0));
  EXPECT_EQ(dead_letters_.held[0].key, std::optional<std::string>("key"));
}

// --- shutdown ----------------------------------------------------------------

// Three messages in flight, a stop at the first wait (after `at_stop`), then
// `during_drain` at every later wait. Returns what run() returns.
class ShutdownTest : public PipelineLoopTest {
 protected:
  static constexpr std::chrono::seconds kGrace{5};

  bool shut_down(const std::function<void()>& at_stop,
                 const std::function<void(size_t)>& during_drain = nullptr) {
    make_loop(1000, 10000, kGrace.count());
    assign();
    source_.add_messages(3);
    return run([&](size_t wait) {
      if (wait == 1) {
        at_stop();
        stop_ = true;
        stopped_at_ = clock_.now();
      } else if (during_drain) {
        during_drain(wait);
      }
    });
  }

  // One commit of every stored offset, then the group leave, both bounded
  // by what is left of the grace.
  void expect_one_commit_and_a_leave_within_the_grace() {
    ASSERT_EQ(source_.commits.size(), 1u);
    EXPECT_TRUE(source_.commits[0].offsets.empty()) << "shutdown commits every stored offset";
    EXPECT_GT(source_.commits[0].timeout, 0ms) << "the drain left the commit no time";
    EXPECT_LE(clock_.now() + source_.commits[0].timeout, stopped_at_ + kGrace)
        << "the commit may outlast the grace";
    ASSERT_EQ(source_.close_timeouts.size(), 1u);
    EXPECT_LE(clock_.now() + source_.close_timeouts[0], stopped_at_ + kGrace);
    EXPECT_TRUE(source_.paused()) << "shutdown stops fetching first";
  }

  Clock::time_point stopped_at_{};
};

TEST_F(ShutdownTest, ADrainedBacklogIsCommittedAndTheGroupLeftWithinTheGrace) {
  const bool drained = shut_down([] {}, [&](size_t wait) {
    if (wait == 3) destination_.succeed_all();  // during the drain
  });
  EXPECT_TRUE(drained);
  EXPECT_EQ(stored(), 3);
  expect_one_commit_and_a_leave_within_the_grace();
}

TEST_F(ShutdownTest, AnUndrainableBacklogIsGivenUpAtTheGraceAndSaidSo) {
  const bool drained = shut_down([&] { destination_.succeed(0); });
  EXPECT_FALSE(drained);
  EXPECT_EQ(stored(), 1) << "what resolved is still stored for the commit";
  EXPECT_GE(clock_.now() - stopped_at_, 3s) << "the drain gave up long before its deadline";
  expect_one_commit_and_a_leave_within_the_grace();
}

// --- the one wait ------------------------------------------------------------

TEST_F(PipelineLoopTest, TheWaitWatchesTheSourceAndEverySinkAndWakesAtTheEarliestDeadline) {
  make_loop();
  assign();
  destination_.fd = 202;
  dead_letters_.fd = 303;
  run([&](size_t wait) {
    if (wait == 1) destination_.deadline = clock_.now() + 30ms;  // e.g. a batch's linger
    if (wait == 3) stop_ = true;
  });
  ASSERT_GE(waits_.size(), 2u);
  const WaitSeen& idle = waits_[0];
  EXPECT_EQ(idle.fds, (std::vector<int>{FakeSource::kFd, 202, 303}));
  EXPECT_EQ(idle.deadline, std::nullopt);
  EXPECT_EQ(idle.timeout, 100ms) << "idle: the heartbeat's cap";
  const WaitSeen& lingering = waits_[1];
  EXPECT_EQ(lingering.deadline, idle.at + 100ms + 30ms);
  EXPECT_EQ(lingering.timeout, 30ms) << "the loop sleeps past a sink's deadline";
}

TEST_F(PipelineLoopTest, ASinkWithWorkDueNowKeepsTheLoopFromSleeping) {
  make_loop();
  assign();
  run([&](size_t wait) {
    if (wait == 1) destination_.deadline = clock_.now() - 1ms;  // overdue
    if (wait == 2) {
      destination_.deadline.reset();
      stop_ = true;
    }
  });
  ASSERT_GE(waits_.size(), 2u);
  EXPECT_EQ(waits_[1].timeout, 0ms);
}

TEST_F(PipelineLoopTest, TheLoopDoesNotSleepWhileTheSourceMayHoldMore) {
  make_loop(100000);
  assign();
  source_.add_messages(600);  // more than one turn takes (512)
  size_t taken_at_first_wait = 0;
  run([&](size_t wait) {
    if (wait == 1) taken_at_first_wait = destination_.held.size();
    stop_ = true;
  });
  EXPECT_EQ(taken_at_first_wait, 600u) << "the loop slept with messages still queued";
  EXPECT_EQ(loop_->counters().messages_consumed.load(), 600u);
}

}  // namespace
}  // namespace cdp_relay::pipeline
