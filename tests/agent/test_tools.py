"""The agent's tools, driven by a scripted model through POST /agent/ask: what each returned
to the model, and that it only ever saw what the caller may see."""

from __future__ import annotations

import uuid

from tests.agent.conftest import URL, Final, Script


async def test_search_posts_returns_published_posts_and_the_callers_own_drafts(
    client, user, user_headers, user_factory, post_factory, use_model
) -> None:
    bob = await user_factory("bob")
    await post_factory(bob, "Rust for beginners")
    await post_factory(bob, "Rust secrets", is_published=False)
    await post_factory(user, "My rust notes", is_published=False)
    script = Script([[("search_posts", {"query": "RUST"})], Final("Two posts.")])
    use_model(script.model)

    response = await client.post(URL, json={"question": "rust?"}, headers=user_headers)

    assert response.status_code == 200
    [hits] = script.returns("search_posts")
    assert sorted(hit["title"] for hit in hits) == ["My rust notes", "Rust for beginners"]


async def test_answer_carries_the_post_ids_the_model_cites(
    client, user, user_headers, post_factory, use_model
) -> None:
    post = await post_factory(user, "Gardening in spring")
    script = Script(
        [
            [("search_posts", {"query": "garden"})],
            Final(
                "See the gardening post.", lambda s: [h["id"] for h in s.returns("search_posts")[0]]
            ),
        ]
    )
    use_model(script.model)

    response = await client.post(URL, json={"question": "garden?"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json() == {"answer": "See the gardening post.", "post_ids": [str(post.id)]}


async def test_drafts_of_others_never_reach_the_model(
    client, user_headers, user_factory, post_factory, use_model
) -> None:
    bob = await user_factory("bob")
    draft = await post_factory(
        bob, "Bob's hidden plan", content="launch codes 1234", is_published=False
    )
    script = Script(
        [
            [("search_posts", {"query": "plan"}), ("search_posts", {"query": ""})],
            [("get_post", {"post_id": str(draft.id)})],
            [("user_activity", {"username": "bob"})],
            Final("Nothing to see."),
        ]
    )
    use_model(script.model)

    response = await client.post(URL, json={"question": "bob's plans?"}, headers=user_headers)

    assert response.status_code == 200
    assert script.returns("search_posts") == [[], []]
    assert script.returns("get_post") == [f"No post with id {draft.id} is visible to you."]
    transcript = script.transcript()
    assert "hidden plan" not in transcript
    assert "launch codes" not in transcript


async def test_a_superuser_agent_sees_every_draft(
    client, superuser_headers, user_factory, post_factory, use_model
) -> None:
    bob = await user_factory("bob")
    await post_factory(bob, "Bob's hidden plan", is_published=False)
    script = Script([[("search_posts", {"query": "plan"})], Final("One draft.")])
    use_model(script.model)

    response = await client.post(URL, json={"question": "plans?"}, headers=superuser_headers)

    assert response.status_code == 200
    [hits] = script.returns("search_posts")
    assert [hit["title"] for hit in hits] == ["Bob's hidden plan"]


async def test_get_post_returns_the_posts_text_and_author(
    client, user, user_headers, post_factory, use_model
) -> None:
    post = await post_factory(user, "On tea", content="Green tea, brewed at 80 degrees.")
    script = Script([[("get_post", {"post_id": str(post.id)})], Final("Brew at 80.")])
    use_model(script.model)

    response = await client.post(URL, json={"question": "tea?"}, headers=user_headers)

    assert response.status_code == 200
    [detail] = script.returns("get_post")
    assert detail["content"] == "Green tea, brewed at 80 degrees."
    assert detail["author"] == "alice"
    assert detail["id"] == str(post.id)


async def test_user_activity_counts_only_the_posts_the_caller_may_see(
    client, user_headers, user_factory, post_factory, use_model
) -> None:
    bob = await user_factory("bob", full_name="Bob Builder")
    await post_factory(bob, "One")
    await post_factory(bob, "Two")
    await post_factory(bob, "Secret", is_published=False)
    script = Script([[("user_activity", {"username": "BOB"})], Final("Bob wrote two posts.")])
    use_model(script.model)

    response = await client.post(URL, json={"question": "bob?"}, headers=user_headers)

    assert response.status_code == 200
    [activity] = script.returns("user_activity")
    assert activity["username"] == "bob"
    assert activity["full_name"] == "Bob Builder"
    assert (activity["visible_posts"], activity["published_posts"], activity["drafts"]) == (2, 2, 0)
    assert sorted(p["title"] for p in activity["latest_posts"]) == ["One", "Two"]
    assert "email" not in activity
    assert "hashed_password" not in script.transcript()


async def test_user_activity_of_oneself_includes_ones_drafts(
    client, user, user_headers, post_factory, use_model
) -> None:
    await post_factory(user, "Published")
    await post_factory(user, "Draft", is_published=False)
    script = Script([[("user_activity", {"username": "alice"})], Final("You have a draft.")])
    use_model(script.model)

    await client.post(URL, json={"question": "me?"}, headers=user_headers)

    [activity] = script.returns("user_activity")
    assert (activity["visible_posts"], activity["published_posts"], activity["drafts"]) == (2, 1, 1)


async def test_user_activity_of_an_unknown_user_says_so(client, user_headers, use_model) -> None:
    script = Script([[("user_activity", {"username": "nobody"})], Final("No such user.")])
    use_model(script.model)

    await client.post(URL, json={"question": "nobody?"}, headers=user_headers)

    assert script.returns("user_activity") == ["There is no user 'nobody'."]


async def test_team_heroes_lists_the_heroes_without_their_secret_names(
    client, user_headers, team_factory, hero_factory, use_model
) -> None:
    team = await team_factory("Preventers", headquarters="Sharp Tower")
    await hero_factory("Rusty-Man", age=48, team_id=team.id, secret_name="Tommy Sharp")
    await hero_factory("Spider-Boy", team_id=team.id, secret_name="Pedro Parqueador")
    script = Script([[("team_heroes", {"team_name": "preventers"})], Final("Two heroes.")])
    use_model(script.model)

    response = await client.post(URL, json={"question": "who?"}, headers=user_headers)

    assert response.status_code == 200
    [roster] = script.returns("team_heroes")
    assert roster["name"] == "Preventers"
    assert roster["headquarters"] == "Sharp Tower"
    assert sorted((h["name"], h["age"]) for h in roster["heroes"]) == [
        ("Rusty-Man", 48),
        ("Spider-Boy", None),
    ]
    assert "Tommy Sharp" not in script.transcript()
    assert "Parqueador" not in script.transcript()


async def test_team_heroes_with_an_ambiguous_name_lists_the_candidates(
    client, user_headers, team_factory, use_model
) -> None:
    await team_factory("Red Team")
    await team_factory("Red Squad")
    script = Script([[("team_heroes", {"team_name": "red"})], Final("Which one?")])
    use_model(script.model)

    await client.post(URL, json={"question": "red?"}, headers=user_headers)

    [message] = script.returns("team_heroes")
    assert message.startswith("Several teams match 'red'")
    assert "Red Team" in message
    assert "Red Squad" in message


async def test_several_tool_calls_in_one_response_all_run(
    client, user, user_headers, post_factory, team_factory, use_model
) -> None:
    post = await post_factory(user, "Parallel")
    await team_factory("Solo")
    script = Script(
        [
            [
                ("search_posts", {"query": "parallel"}),
                ("get_post", {"post_id": str(post.id)}),
                ("user_activity", {"username": "alice"}),
                ("team_heroes", {"team_name": "solo"}),
            ],
            Final("Done."),
        ]
    )
    use_model(script.model)

    response = await client.post(URL, json={"question": "all?"}, headers=user_headers)

    assert response.status_code == 200
    assert len(script.returns("search_posts")[0]) == 1
    assert script.returns("get_post")[0]["title"] == "Parallel"
    assert script.returns("user_activity")[0]["visible_posts"] == 1
    assert script.returns("team_heroes")[0]["heroes"] == []


async def test_post_ids_the_caller_may_not_see_are_dropped_from_the_answer(
    client, user, user_headers, user_factory, post_factory, use_model
) -> None:
    bob = await user_factory("bob")
    draft = await post_factory(bob, "Hidden", is_published=False)
    visible = await post_factory(user, "Mine")
    cited = [str(draft.id), str(uuid.uuid4()), str(visible.id), str(visible.id)]
    use_model(Script([Final("Made up.", cited)]).model)

    response = await client.post(URL, json={"question": "cite"}, headers=user_headers)

    assert response.status_code == 200
    assert response.json()["post_ids"] == [str(visible.id)]
