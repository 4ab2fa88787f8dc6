"""kadun (卡盾): an open-source 卡盟 where the platform stands between buyer and merchant."""
