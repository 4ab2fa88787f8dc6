"""下单前提示 (checkout warnings, kadun.orders.warnings) and the public transparency report."""
import os

# 超低价: a unit price below this share (万分比) of the market reference price, or of the
# median of comparable products when the product has none.
KADUN_CHECKOUT_LOW_PRICE_RATIO_BPS = int(os.environ.get("KADUN_CHECKOUT_LOW_PRICE_RATIO_BPS", "5000"))
# The comparable median stands for the market only with this many products from this many shops.
KADUN_CHECKOUT_COMPARABLE_MIN_PRODUCTS = int(os.environ.get("KADUN_CHECKOUT_COMPARABLE_MIN_PRODUCTS", "5"))
KADUN_CHECKOUT_COMPARABLE_MIN_SHOPS = int(os.environ.get("KADUN_CHECKOUT_COMPARABLE_MIN_SHOPS", "3"))
# 新商家: younger than this many days, or fewer confirmed orders than this.
KADUN_CHECKOUT_NEW_SHOP_DAYS = int(os.environ.get("KADUN_CHECKOUT_NEW_SHOP_DAYS", "30"))
KADUN_CHECKOUT_NEW_SHOP_ORDERS = int(os.environ.get("KADUN_CHECKOUT_NEW_SHOP_ORDERS", "20"))
