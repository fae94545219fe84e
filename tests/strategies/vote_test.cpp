#include "strategies/vote.h"

#include <algorithm>
#include <random>

#include <doctest/doctest.h>

using namespace tts::strategy;

namespace {

vote_candidate cand(std::optional<std::string> answer, int thread_index, int64_t n_tokens, double weight = 1.0) {
    return vote_candidate{std::move(answer), weight, n_tokens, thread_index};
}

}  // namespace

TEST_CASE("vote: majority wins, table ranked, counts and minima filled") {
    std::vector<vote_candidate> c = {cand("1,200", 0, 500), cand("7", 1, 100), cand("$1200", 2, 300), cand("1200.0", 3, 900),
                                     cand("7", 4, 50)};
    vote_result r = vote(c);
    REQUIRE(r.has_winner());
    CHECK(r.n_voters == 5);
    CHECK(r.n_abstained == 0);
    REQUIRE(r.table.size() == 2);
    CHECK(r.winner().key == "1200");
    CHECK(r.winner().answer == "1,200");  // the lowest-index voter's text
    CHECK(r.winner().n_votes == 3);
    CHECK(r.winner().total_weight == doctest::Approx(3.0));
    CHECK(r.winner().n_tokens_min == 300);
    CHECK(r.winner().thread_index_min == 0);
    CHECK(r.winner().thread_indices == std::vector<int>{0, 2, 3});
    CHECK(r.table[1].key == "7");
    CHECK(r.table[1].n_votes == 2);
    CHECK(r.table[1].n_tokens_min == 50);
}

TEST_CASE("vote: threads without an answer do not vote; all empty -> no winner") {
    vote_result r = vote({cand(std::nullopt, 0, 10), cand("", 1, 10), cand("$", 2, 10), cand("5", 3, 99)});
    REQUIRE(r.has_winner());
    CHECK(r.winner().key == "5");
    CHECK(r.n_voters == 1);
    CHECK(r.n_abstained == 3);
    CHECK_FALSE(vote({cand(std::nullopt, 0, 1), cand(std::nullopt, 1, 2)}).has_winner());
    CHECK_FALSE(vote({}).has_winner());
}

TEST_CASE("vote: tie-break shortest picks the answer with the shortest chain") {
    std::vector<vote_candidate> c = {cand("3", 0, 400), cand("4", 1, 120), cand("3", 2, 300), cand("4", 3, 800)};
    CHECK(vote(c, tie_break::shortest).winner().key == "4");
    CHECK(vote(c, tie_break::first).winner().key == "3");
}

TEST_CASE("vote: tie-break first picks the answer of the lowest thread index") {
    std::vector<vote_candidate> c = {cand("9", 5, 10), cand("8", 2, 999), cand("9", 7, 10), cand("8", 4, 999)};
    CHECK(vote(c, tie_break::first).winner().key == "8");
    CHECK(vote(c, tie_break::shortest).winner().key == "9");
}

TEST_CASE("vote: shortest tie on tokens falls back to lowest thread index") {
    std::vector<vote_candidate> c = {cand("1", 3, 100), cand("2", 1, 100)};
    CHECK(vote(c, tie_break::shortest).winner().key == "2");
}

TEST_CASE("vote: weighted mode sums weights") {
    std::vector<vote_candidate> c = {cand("10", 0, 100, 0.2), cand("10", 1, 100, 0.2), cand("10", 2, 100, 0.2),
                                     cand("20", 3, 100, 0.9)};
    CHECK(vote(c).winner().key == "10");
    vote_result w = vote(c, vote_options{vote_score::weight, tie_break::shortest});
    CHECK(w.winner().key == "20");
    CHECK(w.winner().total_weight == doctest::Approx(0.9));
    CHECK(w.table[1].total_weight == doctest::Approx(0.6));
    // Equal weights fall to the tie-break rule.
    std::vector<vote_candidate> tie = {cand("1", 0, 500, 0.5), cand("2", 1, 100, 0.5)};
    CHECK(vote(tie, vote_options{vote_score::weight, tie_break::shortest}).winner().key == "2");
    CHECK(vote(tie, vote_options{vote_score::weight, tie_break::first}).winner().key == "1");
}

TEST_CASE("vote: equivalent spellings vote together, near-misses do not") {
    std::vector<vote_candidate> c = {cand("\\frac{1}{2}", 0, 10), cand("0.5", 1, 10), cand("2/4", 2, 10), cand("0.45", 3, 1),
                                     cand("45", 4, 1)};
    vote_result r = vote(c);
    CHECK(r.winner().key == "0.5");
    CHECK(r.winner().n_votes == 3);
    CHECK(r.table.size() == 3);
}

TEST_CASE("vote: the result does not depend on input order") {
    std::vector<vote_candidate> c = {cand("3", 0, 40, 0.1), cand("4", 1, 30, 0.7), cand("3", 2, 20, 0.3), cand("4", 3, 10, 0.3),
                                     cand("5", 4, 5, 0.9),  cand(std::nullopt, 5, 1), cand("5", 6, 50, 0.1)};
    for (vote_score s : {vote_score::count, vote_score::weight}) {
        for (tie_break t : {tie_break::shortest, tie_break::first}) {
            vote_result ref = vote(c, vote_options{s, t});
            std::mt19937_64 rng(42);
            for (int trial = 0; trial < 20; ++trial) {
                std::vector<vote_candidate> shuffled = c;
                std::shuffle(shuffled.begin(), shuffled.end(), rng);
                vote_result r = vote(shuffled, vote_options{s, t});
                REQUIRE(r.table.size() == ref.table.size());
                for (size_t i = 0; i < r.table.size(); ++i) {
                    CHECK(r.table[i].key == ref.table[i].key);
                    CHECK(r.table[i].total_weight == ref.table[i].total_weight);
                    CHECK(r.table[i].thread_indices == ref.table[i].thread_indices);
                }
            }
        }
    }
}

TEST_CASE("vote: option names") {
    CHECK(std::string(to_string(tie_break::shortest)) == "shortest");
    CHECK(std::string(to_string(tie_break::first)) == "first");
    CHECK(std::string(to_string(vote_score::weight)) == "weight");
}
