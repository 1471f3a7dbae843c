"""Invented names: people, companies, shops, products, industries.

Pools rather than lists of real entities: surnames by rough frequency, given-name
characters by gender, brand syllables and industry words from which plausible company
names are composed. No real company or person is named here.
"""

from __future__ import annotations

from typing import Final, NamedTuple

# Common surnames, most frequent first (the generator weights them by rank).
SURNAMES: Final = (*tuple(
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤蒲敬税兰鲜冉母文岳"
), "欧阳", "司马", "诸葛", "上官")

GIVEN_MALE: Final = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳峰建国"
                          "志文海东成兵亮毅晨睿轩子博然翔川蜀锐德光永")
GIVEN_FEMALE: Final = tuple("芳娜敏静丽艳娟霞秀玲燕红梅琳婷雪慧莉萍倩颖洁佳欣怡悦琪瑶雯璐蓉"
                            "诗涵梦晶茜月兰凤琴丹")

# Brand syllables for company and shop names (two are drawn per name).
BRAND: Final = tuple("蓉锦川蜀天府鑫源盛达华兴恒泰瑞祥宏鼎嘉和丰优品家乐康美佳创新汇聚成"
                     "安禾润博云星月竹青岷峨宽窄熊猫巴渝锦城芙益正信德福顺宝金银亿")

SHOP_STYLES: Final = ("旗舰店", "专营店", "专卖店", "小店", "的店", "官方店", "优选店", "工厂店")


class Industry(NamedTuple):
    """An industry: what it sells (feed category), which licence it needs, its name parts."""

    label: str
    category: str  # product category of schema/feeds.md
    licence: str | None  # licence_type needed, None if none
    company_word: str  # in an enterprise name: 成都X X食品有限公司
    shop_word: str  # in an individual business name: 武侯区X X小吃店
    weight: int
    products: tuple[str, ...]
    price: tuple[float, float]


INDUSTRIES: Final = (
    Industry("食品销售", "food", "food_business", "食品", "食品店", 14,
             ("手工牛肉干", "冷吃兔", "麻辣火锅底料", "郫县豆瓣酱", "四川腊肠", "灯影牛肉",
              "米花糖", "蒙顶山绿茶", "竹叶青茶", "张飞牛肉", "麻辣花生", "红油兔丁"),
             (9.9, 199.0)),
    Industry("餐饮服务", "food", "food_business", "餐饮管理", "小吃店", 12,
             ("钵钵鸡套餐", "冒菜", "担担面", "龙抄手", "钟水饺", "串串香", "兔头", "蛋烘糕"),
             (12.0, 128.0)),
    Industry("农副产品", "food", "food_business", "农业科技", "农产品经营部", 6,
             ("蒲江猕猴桃", "会理石榴", "汉源花椒", "安岳柠檬", "眉山春橙", "苍溪红心猕猴桃"),
             (19.9, 168.0)),
    Industry("食品生产", "food", "food_production", "食品", "食品加工坊", 3,
             ("香肠腊肉", "手工挂面", "火锅底料", "豆瓣酱", "泡菜"), (9.9, 99.0)),
    Industry("化妆品", "cosmetics", "cosmetics", "生物科技", "化妆品店", 6,
             ("补水面膜", "保湿精华液", "防晒霜", "口红", "洗面奶", "护手霜"), (29.0, 599.0)),
    Industry("药品零售", "drugs", "drug_retail", "医药", "大药房", 4,
             ("复方感冒灵颗粒", "布洛芬缓释胶囊", "板蓝根颗粒", "维生素C片", "藿香正气液"),
             (8.5, 89.0)),
    Industry("医疗器械", "medical_devices", "medical_device", "医疗器械", "医疗器械经营部", 3,
             ("电子血压计", "血糖仪", "医用外科口罩", "红外体温计", "制氧机"), (19.0, 2999.0)),
    Industry("电动自行车", "e_bikes", None, "车业", "电动车行", 3,
             ("新国标电动自行车", "锂电池电动车", "电动车充电器", "电动车头盔"), (59.0, 4999.0)),
    Industry("烟草制品零售", "tobacco", "tobacco_retail", "商贸", "烟酒商行", 1,
             ("名酒礼盒", "白酒", "茶叶礼盒"), (68.0, 1688.0)),
    Industry("教育培训", "off_campus_training", "other", "教育咨询", "培训中心", 3,
             ("少儿编程课", "英语口语班", "美术兴趣班", "书法课程", "钢琴陪练"), (99.0, 6800.0)),
    Industry("汽车销售", "car_sales", None, "汽车销售服务", "汽车服务部", 2,
             ("新能源汽车订金", "二手车", "汽车脚垫", "行车记录仪"), (99.0, 189000.0)),
    Industry("服装鞋帽", "general", None, "服饰", "服装店", 12,
             ("纯棉T恤", "牛仔裤", "羽绒服", "运动鞋", "连衣裙", "蜀锦围巾"), (39.0, 899.0)),
    Industry("日用百货", "general", None, "商贸", "百货店", 12,
             ("收纳箱", "保温杯", "洗衣液", "抽纸", "竹编篮", "雨伞"), (5.9, 199.0)),
    Industry("电子产品", "general", None, "电子科技", "数码店", 6,
             ("蓝牙耳机", "充电宝", "手机壳", "数据线", "智能手表"), (9.9, 1999.0)),
    Industry("家居建材", "general", None, "家居", "建材经营部", 4,
             ("实木餐桌", "乳胶枕", "瓷砖", "LED吸顶灯", "四件套"), (29.0, 5999.0)),
    Industry("网络技术", "general", None, "网络科技", "工作室", 5,
             ("网站建设服务", "短视频代运营", "小程序开发", "设计服务"), (199.0, 19999.0)),
    Industry("文化传媒", "general", None, "文化传播", "文化工作室", 3,
             ("蜀绣摆件", "熊猫文创公仔", "川剧脸谱", "书画装裱"), (19.0, 1299.0)),
    Industry("母婴用品", "general", None, "母婴用品", "母婴店", 3,
             ("婴儿纸尿裤", "婴儿湿巾", "儿童餐椅", "婴儿配方奶粉"), (19.9, 499.0)),
)

INDUSTRY_WEIGHTS: Final = tuple(i.weight for i in INDUSTRIES)

ENTERPRISE_FORMS: Final = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")

EXECUTIVE_TITLES: Final = ("监事", "经理", "执行董事", "财务负责人", "董事")

CHANGE_ITEMS: Final = ("住所", "经营范围", "法定代表人", "注册资本", "名称", "股东")

COMPLAINT_CATEGORIES: Final = ("商品质量", "虚假宣传", "价格欺诈", "售后服务", "食品安全",
                               "合同纠纷", "未亮照经营", "个人信息", "七日无理由退货")

# What a case was about, with the provision it was decided under.
CASES: Final = (
    ("未在首页显著位置公示营业执照信息", "《中华人民共和国电子商务法》第七十六条"),
    ("销售超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条"),
    ("发布虚假广告", "《中华人民共和国广告法》第五十五条"),
    ("虚构原价进行价格促销", "《明码标价和禁止价格欺诈规定》第二十二条"),
    ("变更登记事项未按规定办理变更登记", "《中华人民共和国市场主体登记管理条例》第四十六条"),
    ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条"),
    ("刷单炒信虚构交易", "《中华人民共和国反不正当竞争法》第二十条"),
    ("未取得许可从事经营活动", "《无证无照经营查处办法》第十三条"),
    ("侵害消费者七日无理由退货权利", "《中华人民共和国消费者权益保护法》第五十六条"),
    ("经营未备案的化妆品", "《化妆品监督管理条例》第六十一条"),
    ("未按规定报送年度报告", "《企业信息公示暂行条例》第十八条"),
)
