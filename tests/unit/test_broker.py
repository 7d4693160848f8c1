from service.devtools.broker import new_cluster_id


def test_cluster_ids_never_look_like_an_option() -> None:
    # One in 64 URL-safe base64 ids starts with '-': the storage tool then refused to format
    # ("argument --cluster-id/-t: expected one argument"), which failed a CI run.
    ids = [new_cluster_id() for _ in range(5000)]
    assert not any(cid.startswith("-") for cid in ids)
    assert all(len(cid) == 22 for cid in ids)
    assert len(set(ids)) == len(ids)
