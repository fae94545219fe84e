// fiber_yield: an Asio completion token that suspends only the calling fiber (STYLE R4 tier 3).
//
//     boost::system::error_code ec;
//     size_t n = http::async_read(stream, buf, parser, yield[ec]);   // this fiber waits; others run
//
// The operation is started at once; the calling fiber then waits on a fiber future until the
// completion handler runs. The handler runs on the io_context's thread, which is the thread the
// fibers run on (controller/fiber_io.h), so there is no cross-thread hand-off. With yield[ec] the
// error lands in ec; plain `yield` throws boost::system::system_error instead. A handler destroyed
// without being called (its io_context went away) wakes the fiber with operation_aborted (thrown
// when the operation's result cannot be default-constructed, e.g. a moved-in socket).
//
// Use only from a fiber on a thread running controller::run_fibers_with_io, and only in
// runtime/server/ (STYLE R11: every yield[ec] call site lives there).
#pragma once

#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/fiber/future.hpp>
#include <boost/system/system_error.hpp>

namespace tts::server {

struct fiber_yield_t {
    boost::system::error_code * ec = nullptr;
    fiber_yield_t operator[](boost::system::error_code & e) const { return fiber_yield_t{&e}; }
};
inline constexpr fiber_yield_t yield{};

namespace detail {

// Waits for the handler's values; returns them without the error code (void, T or a tuple).
template <typename... Args>
auto await_handler(fiber_yield_t y, boost::fibers::future<std::tuple<boost::system::error_code, Args...>> f) {
    using values = std::tuple<boost::system::error_code, Args...>;
    std::optional<values> r;
    try {
        r.emplace(f.get());
    } catch (const boost::fibers::future_error &) {   // broken promise: the handler was dropped
        if constexpr ((std::is_default_constructible_v<Args> && ...)) {
            r.emplace();
            std::get<0>(*r) = boost::asio::error::operation_aborted;
        } else {
            throw boost::system::system_error(boost::asio::error::operation_aborted);
        }
    }
    const boost::system::error_code ec = std::get<0>(*r);
    if (y.ec) *y.ec = ec;
    else if (ec) throw boost::system::system_error(ec);
    if constexpr (sizeof...(Args) == 1) return std::move(std::get<1>(*r));
    else if constexpr (sizeof...(Args) > 1)
        return std::apply([](auto &&, auto &&... rest) { return std::make_tuple(std::move(rest)...); }, std::move(*r));
}

}  // namespace detail
}  // namespace tts::server

namespace boost::asio {

template <typename... Args>
class async_result<tts::server::fiber_yield_t, void(boost::system::error_code, Args...)> {
public:
    using values = std::tuple<boost::system::error_code, std::decay_t<Args>...>;
    using return_type = decltype(tts::server::detail::await_handler<std::decay_t<Args>...>(
        std::declval<tts::server::fiber_yield_t>(), std::declval<boost::fibers::future<values>>()));

    template <typename Initiation, typename... InitArgs>
    static return_type initiate(Initiation && init, tts::server::fiber_yield_t y, InitArgs &&... args) {
        auto p = std::make_shared<boost::fibers::promise<values>>();
        boost::fibers::future<values> f = p->get_future();
        std::forward<Initiation>(init)(
            [p](boost::system::error_code ec, Args... a) { p->set_value(values(ec, std::move(a)...)); },
            std::forward<InitArgs>(args)...);
        return tts::server::detail::await_handler<std::decay_t<Args>...>(y, std::move(f));
    }
};

}  // namespace boost::asio
