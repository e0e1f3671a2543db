#pragma once

// twitter.json and citm_catalog.json as a program would hold them: plain structs and
// standard containers, made encodable with ITERJSON_FIELDS, and filled once from the
// corpus's Boost.JSON tree. Written back, each gives the corpus's own tree: the same
// members in the same order.
//
// The structs follow the data as it is, so:
// - a value that is sometimes null is a std::optional, written as null when empty;
// - a value that is null throughout the corpus is a std::nullptr_t: what it holds
//   otherwise is not in the data;
// - a member that some objects have and others lack makes one struct per shape, and the
//   place that holds them a std::variant: a struct always writes all its fields;
// - objects keyed by data (citm's ids) are std::maps, whose order is the corpus's; where
//   the corpus's order is no order at all (twitter's media sizes), a vector of pairs.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "iterjson/traits.hpp"

namespace bench {

// An object keyed by data, in the order its members came.
template <class T>
struct ordered_members : std::vector<std::pair<std::string, T>> {
  using key_type = std::string;
  using mapped_type = T;
};

namespace twitter {

using ids = std::vector<std::int64_t>;

struct status_metadata {
  std::string result_type;
  std::string iso_language_code;
};

struct url_entity {
  std::string url;
  std::string expanded_url;
  std::string display_url;
  ids indices;
};

struct url_list {
  std::vector<url_entity> urls;
};

struct profile_entities {
  url_list description;
};

struct linked_profile_entities {
  url_list url;
  url_list description;
};

// "protected" is a C++ keyword: that member is `is_protected`, and the field lists of
// the profiles are written out below, not with ITERJSON_FIELDS.
struct profile {
  std::int64_t id;
  std::string id_str;
  std::string name;
  std::string screen_name;
  std::string location;
  std::string description;
  std::optional<std::string> url;
  std::variant<profile_entities, linked_profile_entities> entities;
  bool is_protected;
  std::int64_t followers_count;
  std::int64_t friends_count;
  std::int64_t listed_count;
  std::string created_at;
  std::int64_t favourites_count;
  std::optional<std::int64_t> utc_offset;
  std::optional<std::string> time_zone;
  bool geo_enabled;
  bool verified;
  std::int64_t statuses_count;
  std::string lang;
  bool contributors_enabled;
  bool is_translator;
  bool is_translation_enabled;
  std::string profile_background_color;
  std::string profile_background_image_url;
  std::string profile_background_image_url_https;
  bool profile_background_tile;
  std::string profile_image_url;
  std::string profile_image_url_https;
  std::string profile_link_color;
  std::string profile_sidebar_border_color;
  std::string profile_sidebar_fill_color;
  std::string profile_text_color;
  bool profile_use_background_image;
  bool default_profile;
  bool default_profile_image;
  bool following;
  bool follow_request_sent;
  bool notifications;
};

struct bannered_profile : profile {
  std::string profile_banner_url;
};

struct hashtag {
  std::string text;
  ids indices;
};

struct mention {
  std::string screen_name;
  std::string name;
  std::int64_t id;
  std::string id_str;
  ids indices;
};

struct photo_size {
  std::int64_t w;
  std::int64_t h;
  std::string resize;
};

struct photo {
  std::int64_t id;
  std::string id_str;
  ids indices;
  std::string media_url;
  std::string media_url_https;
  std::string url;
  std::string display_url;
  std::string expanded_url;
  std::string type;
  ordered_members<photo_size> sizes;
};

// A photo first posted in another status.
struct shared_photo : photo {
  std::int64_t source_status_id;
  std::string source_status_id_str;
};

struct tweet_entities {
  std::vector<hashtag> hashtags;
  std::vector<hashtag> symbols;
  std::vector<url_entity> urls;
  std::vector<mention> user_mentions;
};

struct tweet_entities_with_media : tweet_entities {
  std::vector<std::variant<photo, shared_photo>> media;
};

struct tweet {
  status_metadata metadata;
  std::string created_at;
  std::int64_t id;
  std::string id_str;
  std::string text;
  std::string source;
  bool truncated;
  std::optional<std::int64_t> in_reply_to_status_id;
  std::optional<std::string> in_reply_to_status_id_str;
  std::optional<std::int64_t> in_reply_to_user_id;
  std::optional<std::string> in_reply_to_user_id_str;
  std::optional<std::string> in_reply_to_screen_name;
  std::variant<profile, bannered_profile> user;
  std::nullptr_t geo;
  std::nullptr_t coordinates;
  std::nullptr_t place;
  std::nullptr_t contributors;
  std::int64_t retweet_count;
  std::int64_t favorite_count;
  std::variant<tweet_entities, tweet_entities_with_media> entities;
  bool favorited;
  bool retweeted;
  std::string lang;
};

struct sensitive_tweet : tweet {
  bool possibly_sensitive;
};

using original_tweet = std::variant<tweet, sensitive_tweet>;

struct retweet : tweet {
  original_tweet retweeted_status;
};

struct sensitive_retweet : retweet {
  bool possibly_sensitive;
};

struct search_summary {
  double completed_in;
  std::int64_t max_id;
  std::string max_id_str;
  std::string next_results;
  std::string query;
  std::string refresh_url;
  std::int64_t count;
  std::int64_t since_id;
  std::string since_id_str;
};

struct document {
  std::vector<std::variant<tweet, sensitive_tweet, retweet, sensitive_retweet>> statuses;
  search_summary search_metadata;
};

}  // namespace twitter

namespace citm {

using ids = std::vector<std::int64_t>;
using names = std::map<std::string, std::string>;

struct event {
  std::optional<std::string> description;
  std::int64_t id;
  std::optional<std::string> logo;
  std::string name;
  ids subTopicIds;
  std::optional<std::string> subjectCode;
  std::optional<std::string> subtitle;
  ids topicIds;
};

struct price {
  std::int64_t amount;
  std::int64_t audienceSubCategoryId;
  std::int64_t seatCategoryId;
};

struct area {
  std::int64_t areaId;
  ids blockIds;
};

struct seat_category {
  std::vector<area> areas;
  std::int64_t seatCategoryId;
};

struct performance {
  std::int64_t eventId;
  std::int64_t id;
  std::optional<std::string> logo;
  std::optional<std::string> name;
  std::vector<price> prices;
  std::vector<seat_category> seatCategories;
  std::optional<std::string> seatMapImage;
  std::int64_t start;
  std::string venueCode;
};

struct catalog {
  names areaNames;
  names audienceSubCategoryNames;
  names blockNames;
  std::map<std::string, event> events;
  std::vector<performance> performances;
  names seatCategoryNames;
  names subTopicNames;
  names subjectNames;
  names topicNames;
  std::map<std::string, ids> topicSubTopics;
  names venueNames;
};

}  // namespace citm
}  // namespace bench

ITERJSON_FIELDS(bench::twitter::status_metadata, result_type, iso_language_code);
ITERJSON_FIELDS(bench::twitter::url_entity, url, expanded_url, display_url, indices);
ITERJSON_FIELDS(bench::twitter::url_list, urls);
ITERJSON_FIELDS(bench::twitter::profile_entities, description);
ITERJSON_FIELDS(bench::twitter::linked_profile_entities, url, description);
ITERJSON_FIELDS(bench::twitter::hashtag, text, indices);
ITERJSON_FIELDS(bench::twitter::mention, screen_name, name, id, id_str, indices);
ITERJSON_FIELDS(bench::twitter::photo_size, w, h, resize);
ITERJSON_FIELDS(bench::twitter::search_summary, completed_in, max_id, max_id_str, next_results, query, refresh_url,
                count, since_id, since_id_str);
ITERJSON_FIELDS(bench::twitter::document, statuses, search_metadata);

// The members that shapes share, as lists to splice into each shape's ITERJSON_FIELDS.
#define BENCH_PHOTO_FIELDS id, id_str, indices, media_url, media_url_https, url, display_url, expanded_url, type, sizes
#define BENCH_ENTITY_FIELDS hashtags, symbols, urls, user_mentions
#define BENCH_TWEET_HEAD_FIELDS                                                                               \
  metadata, created_at, id, id_str, text, source, truncated, in_reply_to_status_id, in_reply_to_status_id_str, \
      in_reply_to_user_id, in_reply_to_user_id_str, in_reply_to_screen_name, user, geo, coordinates, place,    \
      contributors
#define BENCH_TWEET_TAIL_FIELDS retweet_count, favorite_count, entities, favorited, retweeted

ITERJSON_FIELDS(bench::twitter::photo, BENCH_PHOTO_FIELDS);
ITERJSON_FIELDS(bench::twitter::shared_photo, BENCH_PHOTO_FIELDS, source_status_id, source_status_id_str);
ITERJSON_FIELDS(bench::twitter::tweet_entities, BENCH_ENTITY_FIELDS);
ITERJSON_FIELDS(bench::twitter::tweet_entities_with_media, BENCH_ENTITY_FIELDS, media);
ITERJSON_FIELDS(bench::twitter::tweet, BENCH_TWEET_HEAD_FIELDS, BENCH_TWEET_TAIL_FIELDS, lang);
ITERJSON_FIELDS(bench::twitter::sensitive_tweet, BENCH_TWEET_HEAD_FIELDS, BENCH_TWEET_TAIL_FIELDS,
                possibly_sensitive, lang);
ITERJSON_FIELDS(bench::twitter::retweet, BENCH_TWEET_HEAD_FIELDS, retweeted_status, BENCH_TWEET_TAIL_FIELDS, lang);
ITERJSON_FIELDS(bench::twitter::sensitive_retweet, BENCH_TWEET_HEAD_FIELDS, retweeted_status,
                BENCH_TWEET_TAIL_FIELDS, possibly_sensitive, lang);

#undef BENCH_PHOTO_FIELDS
#undef BENCH_ENTITY_FIELDS
#undef BENCH_TWEET_HEAD_FIELDS
#undef BENCH_TWEET_TAIL_FIELDS

// The profiles' fields, listed by hand through iterjson::struct_field, the public type
// ITERJSON_FIELDS makes, because one key is a C++ keyword.
#define BENCH_FIELD(type, key, member) \
  iterjson::struct_field<decltype(&type::member)> { key, "\"" key "\"", &type::member }
#define BENCH_PROFILE_FIELD(member) BENCH_FIELD(bench::twitter::profile, #member, member)

namespace bench::twitter {

inline constexpr auto profile_fields_to_images = std::tuple{
    BENCH_PROFILE_FIELD(id),
    BENCH_PROFILE_FIELD(id_str),
    BENCH_PROFILE_FIELD(name),
    BENCH_PROFILE_FIELD(screen_name),
    BENCH_PROFILE_FIELD(location),
    BENCH_PROFILE_FIELD(description),
    BENCH_PROFILE_FIELD(url),
    BENCH_PROFILE_FIELD(entities),
    BENCH_FIELD(profile, "protected", is_protected),
    BENCH_PROFILE_FIELD(followers_count),
    BENCH_PROFILE_FIELD(friends_count),
    BENCH_PROFILE_FIELD(listed_count),
    BENCH_PROFILE_FIELD(created_at),
    BENCH_PROFILE_FIELD(favourites_count),
    BENCH_PROFILE_FIELD(utc_offset),
    BENCH_PROFILE_FIELD(time_zone),
    BENCH_PROFILE_FIELD(geo_enabled),
    BENCH_PROFILE_FIELD(verified),
    BENCH_PROFILE_FIELD(statuses_count),
    BENCH_PROFILE_FIELD(lang),
    BENCH_PROFILE_FIELD(contributors_enabled),
    BENCH_PROFILE_FIELD(is_translator),
    BENCH_PROFILE_FIELD(is_translation_enabled),
    BENCH_PROFILE_FIELD(profile_background_color),
    BENCH_PROFILE_FIELD(profile_background_image_url),
    BENCH_PROFILE_FIELD(profile_background_image_url_https),
    BENCH_PROFILE_FIELD(profile_background_tile),
    BENCH_PROFILE_FIELD(profile_image_url),
    BENCH_PROFILE_FIELD(profile_image_url_https),
};

inline constexpr auto profile_fields_after_images = std::tuple{
    BENCH_PROFILE_FIELD(profile_link_color),
    BENCH_PROFILE_FIELD(profile_sidebar_border_color),
    BENCH_PROFILE_FIELD(profile_sidebar_fill_color),
    BENCH_PROFILE_FIELD(profile_text_color),
    BENCH_PROFILE_FIELD(profile_use_background_image),
    BENCH_PROFILE_FIELD(default_profile),
    BENCH_PROFILE_FIELD(default_profile_image),
    BENCH_PROFILE_FIELD(following),
    BENCH_PROFILE_FIELD(follow_request_sent),
    BENCH_PROFILE_FIELD(notifications),
};

}  // namespace bench::twitter

template <>
struct iterjson::struct_fields<bench::twitter::profile> {
  static constexpr auto members =
      std::tuple_cat(bench::twitter::profile_fields_to_images, bench::twitter::profile_fields_after_images);
};

template <>
struct iterjson::struct_fields<bench::twitter::bannered_profile> {
  static constexpr auto members = std::tuple_cat(
      bench::twitter::profile_fields_to_images,
      std::tuple{BENCH_FIELD(bench::twitter::bannered_profile, "profile_banner_url", profile_banner_url)},
      bench::twitter::profile_fields_after_images);
};

#undef BENCH_PROFILE_FIELD
#undef BENCH_FIELD

ITERJSON_FIELDS(bench::citm::event, description, id, logo, name, subTopicIds, subjectCode, subtitle, topicIds);
ITERJSON_FIELDS(bench::citm::price, amount, audienceSubCategoryId, seatCategoryId);
ITERJSON_FIELDS(bench::citm::area, areaId, blockIds);
ITERJSON_FIELDS(bench::citm::seat_category, areas, seatCategoryId);
ITERJSON_FIELDS(bench::citm::performance, eventId, id, logo, name, prices, seatCategories, seatMapImage, start,
                venueCode);
ITERJSON_FIELDS(bench::citm::catalog, areaNames, audienceSubCategoryNames, blockNames, events, performances,
                seatCategoryNames, subTopicNames, subjectNames, topicNames, topicSubTopics, venueNames);

// --- filling the structs from a tree -----------------------------------------------------

namespace bench {

template <class T, template <class...> class Template>
inline constexpr bool is_specialization_of = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization_of<Template<Args...>, Template> = true;

// Whether `object` has exactly the fields of struct `T`, in their order.
template <class T>
bool has_fields_of(const boost::json::object& object) {
  return std::apply(
      [&](const auto&... field) {
        auto member = object.begin();
        return object.size() == sizeof...(field) && ((member++->key() == field.name) && ...);
      },
      iterjson::struct_fields<T>::members);
}

template <class T>
inline constexpr bool is_ordered_members = false;
template <class T>
inline constexpr bool is_ordered_members<ordered_members<T>> = true;

template <class T>
void fill(T& out, const boost::json::value& tree);

// Fills struct `out` from `object`, which must have its fields in their order.
template <class T>
void fill_struct(T& out, const boost::json::object& object) {
  if (!has_fields_of<T>(object)) {
    throw std::runtime_error("fields differ: " + boost::json::serialize(object).substr(0, 200));
  }
  std::apply([&](const auto&... field) { (fill(out.*field.pointer, object.at(field.name)), ...); },
             iterjson::struct_fields<T>::members);
}

// Fills the alternative of `Variant` whose fields `object` has.
template <class Variant, std::size_t Index = 0>
void fill_alternative(Variant& out, const boost::json::object& object) {
  if constexpr (Index == std::variant_size_v<Variant>) {
    throw std::runtime_error("an object of no known shape: " + boost::json::serialize(object).substr(0, 200));
  } else {
    using alternative = std::variant_alternative_t<Index, Variant>;
    if (!has_fields_of<alternative>(object)) return fill_alternative<Variant, Index + 1>(out, object);
    fill_struct(out.template emplace<Index>(), object);
  }
}

// Fills `out` from `tree`; throws where they differ in shape or in kind.
template <class T>
void fill(T& out, const boost::json::value& tree) {
  if constexpr (std::is_same_v<T, bool>) {
    out = tree.as_bool();
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    out = tree.as_int64();
  } else if constexpr (std::is_same_v<T, double>) {
    out = tree.as_double();
  } else if constexpr (std::is_same_v<T, std::string>) {
    out = tree.as_string();
  } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
    if (!tree.is_null()) throw std::runtime_error("not null: " + boost::json::serialize(tree));
  } else if constexpr (is_specialization_of<T, std::optional>) {
    if (!tree.is_null()) fill(out.emplace(), tree);
  } else if constexpr (is_specialization_of<T, std::variant>) {
    fill_alternative(out, tree.as_object());
  } else if constexpr (is_specialization_of<T, std::vector>) {
    for (const boost::json::value& element : tree.as_array()) fill(out.emplace_back(), element);
  } else if constexpr (is_specialization_of<T, std::map>) {
    for (const auto& member : tree.as_object()) fill(out[std::string(member.key())], member.value());
  } else if constexpr (is_ordered_members<T>) {
    for (const auto& member : tree.as_object()) {
      fill(out.emplace_back(member.key(), typename T::mapped_type{}).second, member.value());
    }
  } else {
    fill_struct(out, tree.as_object());
  }
}

// `T` filled from `tree`.
template <class T>
T from_tree(const boost::json::value& tree) {
  T out{};
  fill(out, tree);
  return out;
}

}  // namespace bench
